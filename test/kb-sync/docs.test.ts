import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDoc, readDocs, slugFromPath } from '../../src/kb-sync/docs.js';

describe('slugFromPath', () => {
  it('turns folders and file names into a valid slug', () => {
    expect(slugFromPath('guides/Getting Started.md')).toBe('guides.getting-started');
    expect(slugFromPath('FAQ/Über uns — Café!.markdown')).toBe('faq.uber-uns-cafe');
    expect(slugFromPath('a/_b_/c.md')).toBe('a.b.c');
    expect(slugFromPath('!!!.md')).toBe('');
    expect(slugFromPath(`${'x'.repeat(150)}/${'y'.repeat(150)}.md`)).toHaveLength(200);
  });
});

describe('parseDoc', () => {
  it('reads the front matter and keeps the body as written (CRLF made LF)', () => {
    const doc = parseDoc('billing/refunds.md', '---\r\ntitle: Refunds\r\ncollection: Billing\r\nstatus: published\r\n---\r\n# Refunds\r\n\r\nWithin 30 days.\r\n');
    expect(doc).toEqual({ path: 'billing/refunds.md', slug: 'billing.refunds', article: { title: 'Refunds', body: '# Refunds\n\nWithin 30 days.\n', collection: 'Billing', status: 'published' } });
  });

  it('defaults status to draft, collection to none, and takes an explicit slug', () => {
    expect(parseDoc('x.md', '---\ntitle: X\nslug: custom_slug\n---\nbody')).toMatchObject({ slug: 'custom_slug', article: { status: 'draft', collection: null, body: 'body' } });
  });

  it('names what is wrong with a file', () => {
    const problem = (text: string, path = 'p.md') => (parseDoc(path, text) as { message: string }).message;
    expect(problem('# no front matter')).toMatch(/no front matter/);
    expect(problem('---\ntitle: [unclosed\n---\n')).toMatch(/not valid YAML/);
    expect(problem('---\n- a list\n---\n')).toMatch(/mapping/);
    expect(problem('---\ncollection: x\n---\n')).toMatch(/title/);
    expect(problem('---\ntitle: T\nstatus: live\n---\n')).toMatch(/status/);
    expect(problem('---\ntitle: T\nslug: Not A Slug\n---\n')).toMatch(/slug must match/);
    expect(problem('---\ntitle: T\n---\n', '???.md')).toMatch(/set `slug:`/);
    expect(problem(`---\ntitle: ${'t'.repeat(301)}\n---\n`)).toMatch(/title/);
  });
});

describe('readDocs', () => {
  it('finds Markdown files recursively, skips hidden entries, and reports two files claiming one slug', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-docs-'));
    mkdirSync(join(dir, 'guides'));
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, 'guides', 'start.md'), '---\ntitle: Start\n---\nA');
    writeFileSync(join(dir, 'other.md'), '---\ntitle: Other\nslug: guides.start\n---\nB');
    writeFileSync(join(dir, '.git', 'x.md'), '---\ntitle: hidden\n---\n');
    writeFileSync(join(dir, 'notes.txt'), 'not markdown');
    const { docs, problems } = await readDocs(dir);
    expect(docs.map((d) => d.path)).toEqual(['guides/start.md']);
    expect(problems).toEqual([{ path: 'other.md', message: 'has slug "guides.start", already used by guides/start.md' }]);
  });
});
