/**
 * The plan: what to do to make the tenant's articles match the docs folder.
 * Pure (docs + articles + what we created before → actions), so it is the same
 * for `--dry-run` and for the run that applies it. Articles are matched by slug.
 */
import type { Article } from '../sdk/types.js';
import type { Doc } from './docs.js';

const FIELDS = ['title', 'body', 'collection', 'status'] as const;
export type Field = (typeof FIELDS)[number];

export type Action =
  | { kind: 'create'; doc: Doc }
  | { kind: 'update'; doc: Doc; article: Article; changed: Field[] }
  | { kind: 'unchanged'; doc: Doc; article: Article }
  /** Created by an earlier sync, its file is gone: deleted with --prune. */
  | { kind: 'delete'; article: Article }
  /** The same, without --prune: reported and kept. */
  | { kind: 'orphan'; article: Article };

export type ActionKind = Action['kind'];

export function changedFields(doc: Doc, article: Article): Field[] {
  return FIELDS.filter((field) => doc.article[field] !== article[field]);
}

/**
 * @param created slug → id of the articles earlier syncs created in this tenant
 */
export function planSync(docs: readonly Doc[], articles: readonly Article[], created: Readonly<Record<string, string>>, prune: boolean): Action[] {
  const bySlug = new Map(articles.map((a) => [a.slug, a]));
  const byId = new Map(articles.map((a) => [a.id, a]));
  const docSlugs = new Set(docs.map((d) => d.slug));
  const actions: Action[] = docs.map((doc): Action => {
    const article = bySlug.get(doc.slug);
    if (!article) return { kind: 'create', doc };
    const changed = changedFields(doc, article);
    return changed.length > 0 ? { kind: 'update', doc, article, changed } : { kind: 'unchanged', doc, article };
  });
  for (const [slug, id] of Object.entries(created)) {
    const article = byId.get(id);
    // Gone already, or its slug (old or current) still has a file: nothing to prune.
    if (!article || docSlugs.has(slug) || docSlugs.has(article.slug)) continue;
    actions.push({ kind: prune ? 'delete' : 'orphan', article });
  }
  return actions;
}

export function countByKind(actions: readonly Action[]): Record<ActionKind, number> {
  const counts: Record<ActionKind, number> = { create: 0, update: 0, unchanged: 0, delete: 0, orphan: 0 };
  for (const a of actions) counts[a.kind]++;
  return counts;
}

/** The records to keep for the next run: still-existing articles we created, by their current slug. */
export function ownedAfterSync(created: Readonly<Record<string, string>>, articles: readonly Article[], newlyCreated: readonly Article[], deletedIds: ReadonlySet<string>): Record<string, string> {
  const byId = new Map(articles.map((a) => [a.id, a]));
  const owned: Record<string, string> = {};
  for (const id of Object.values(created)) {
    const article = byId.get(id);
    if (article && !deletedIds.has(id)) owned[article.slug] = id;
  }
  for (const article of newlyCreated) owned[article.slug] = article.id;
  return owned;
}
