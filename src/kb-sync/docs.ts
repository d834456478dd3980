/**
 * Reads a docs folder: every `*.md` / `*.markdown` file (hidden entries and
 * node_modules skipped), YAML front matter between `---` lines, the rest is the
 * body. Each file becomes the article it describes, checked against the API's own
 * ArticleInput schema, so a bad file is reported here with its path instead of as
 * a 400 halfway through a sync.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { ArticleInput, Slug } from '../api/schemas/knowledge.js';

export interface Doc {
  /** Path relative to the docs folder, with `/` separators. */
  path: string;
  slug: string;
  article: { title: string; body: string; collection: string | null; status: 'draft' | 'published' };
}

export interface DocProblem {
  path: string;
  message: string;
}

const MARKDOWN = /\.(md|markdown)$/i;
const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n?---[ \t]*(?:\r?\n|$)/;
const SLUG_PATTERN = new RegExp(Slug.pattern!);

async function markdownFiles(root: string, dir = root): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await markdownFiles(root, full)));
    else if (entry.isFile() && MARKDOWN.test(entry.name)) found.push(relative(root, full).split(sep).join('/'));
  }
  return found.sort();
}

/** `guides/Getting Started.md` → `guides.getting-started`: each folder and the file name made into slug words, joined by dots. */
export function slugFromPath(path: string): string {
  return path
    .replace(MARKDOWN, '')
    .split('/')
    .map((part) =>
      part
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, ''),
    )
    .filter((part) => part.length > 0)
    .join('.')
    .slice(0, 200)
    .replace(/[-_.]+$/, '');
}

/** One file's text → its article, or what is wrong with it. */
export function parseDoc(path: string, text: string): Doc | DocProblem {
  const match = FRONT_MATTER.exec(text);
  if (!match) return { path, message: 'has no front matter (a `---` block with at least `title:`)' };
  let meta: unknown;
  try {
    meta = parseYaml(match[1]!) ?? {};
  } catch (error) {
    return { path, message: `front matter is not valid YAML: ${(error as Error).message.split('\n')[0]}` };
  }
  if (typeof meta !== 'object' || Array.isArray(meta)) return { path, message: 'front matter must be a YAML mapping' };
  const fields = meta as Record<string, unknown>;
  const slug = fields.slug === undefined ? slugFromPath(path) : fields.slug;
  if (typeof slug !== 'string' || !SLUG_PATTERN.test(slug)) {
    return { path, message: fields.slug === undefined ? 'no slug can be made from the file name; set `slug:` in the front matter' : `slug must match ${Slug.pattern} (1-200 characters)` };
  }
  // CRLF checkouts (Windows) must not look like edits to a LF checkout.
  const body = text.slice(match[0].length).replace(/\r\n/g, '\n');
  const article = { title: fields.title, body, collection: fields.collection ?? null, status: fields.status ?? 'draft' };
  const error = Value.Errors(ArticleInput, { ...article, slug }).First();
  if (error) return { path, message: `${error.path.replace(/^\//, '') || 'front matter'} ${error.message.toLowerCase()}` };
  return { path, slug, article: article as Doc['article'] };
}

/** Every doc under `root`, plus every problem (unparsable files, two files claiming one slug). */
export async function readDocs(root: string): Promise<{ docs: Doc[]; problems: DocProblem[] }> {
  const docs = new Map<string, Doc>();
  const problems: DocProblem[] = [];
  for (const path of await markdownFiles(root)) {
    const parsed = parseDoc(path, await readFile(join(root, path), 'utf8'));
    const other = 'slug' in parsed ? docs.get(parsed.slug) : undefined;
    if (!('slug' in parsed)) problems.push(parsed);
    else if (other) problems.push({ path, message: `has slug "${parsed.slug}", already used by ${other.path}` });
    else docs.set(parsed.slug, parsed);
  }
  return { docs: [...docs.values()], problems };
}
