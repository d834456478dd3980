/** Generated Markdown docs folders for push-kb tests and the sync benchmark. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function docFile(i: number): { path: string; text: string } {
  const section = `section-${i % 10}`;
  return {
    path: `${section}/article-${String(i).padStart(4, '0')}.md`,
    text: `---\ntitle: Article ${i}\ncollection: ${section}\nstatus: ${i % 3 === 0 ? 'draft' : 'published'}\n---\n# Article ${i}\n\nGenerated body ${i}.\n`,
  };
}

/** A temporary folder with `count` docs (under `prefix/` when given, so slugs differ between suites sharing a tenant); returns its path. */
export function docsFolder(count: number, prefix = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'kb-'));
  for (let i = 0; i < count; i++) {
    const { path, text } = docFile(i);
    const file = join(dir, prefix, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return dir;
}
