/** The published `atender/client` must load nothing but its own files and Node built-ins (no TypeBox, no server code). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function importGraph(entry: string): { files: string[]; external: string[] } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else external.add(spec);
    }
  };
  visit(join(root, 'dist/sdk/index.js'));
  return { files: [...files].map((f) => relative(root, f)).sort(), external: [...external].sort() };
}

describe('atender/client as built', () => {
  it('is exported from package.json and loads only Node built-ins', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.exports['./client'].default).toBe('./dist/sdk/index.js');
    expect(existsSync(join(root, pkg.exports['./client'].types))).toBe(true);
    const { files, external } = importGraph(join(root, 'dist/sdk/index.js'));
    expect(external.every((spec) => spec.startsWith('node:'))).toBe(true);
    expect(files.every((f) => f.startsWith('dist/sdk/') || f === 'dist/core/keys.js')).toBe(true);
    const mod = await import('atender/client');
    expect(typeof mod.Atender).toBe('function');
    expect(typeof mod.verifyWebhook).toBe('function');
  });
});
