/**
 * What push-kb created, per tenant, kept in `.atender-sync.json` in the docs
 * folder. `--prune` deletes only articles listed here, so articles written in the
 * dashboard or by another tool are never touched. (Articles accept no extra
 * fields, so the API itself cannot carry an "owned by push-kb" mark.) Commit the
 * file with the docs so every machine and CI run shares it.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const MANIFEST_FILE = '.atender-sync.json';

export interface TenantRecord {
  environment: string;
  /** slug → id of each article this sync created and that still exists. */
  articles: Record<string, string>;
}

export interface Manifest {
  version: 1;
  tenants: Record<string, TenantRecord>;
}

export async function readManifest(dir: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, tenants: {} };
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<Manifest>;
  if (parsed.version !== 1 || typeof parsed.tenants !== 'object' || parsed.tenants === null) {
    throw new Error(`${MANIFEST_FILE} is not a push-kb state file this version understands`);
  }
  return parsed as Manifest;
}

export function serialiseManifest(manifest: Manifest): string {
  const sorted = (record: Record<string, string>) => Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
  const tenants = Object.fromEntries(
    Object.entries(manifest.tenants)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, t]) => [id, { environment: t.environment, articles: sorted(t.articles) }]),
  );
  return `${JSON.stringify({ version: 1, tenants }, null, 2)}\n`;
}

/** Writes only when something changed (a no-op sync leaves the file, and git, untouched); atomically via rename. */
export async function writeManifest(dir: string, manifest: Manifest): Promise<boolean> {
  const text = serialiseManifest(manifest);
  const path = join(dir, MANIFEST_FILE);
  const current = await readFile(path, 'utf8').catch(() => null);
  if (current === text) return false;
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, path);
  return true;
}
