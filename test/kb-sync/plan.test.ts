import { describe, expect, it } from 'vitest';
import type { Doc } from '../../src/kb-sync/docs.js';
import { countByKind, ownedAfterSync, planSync } from '../../src/kb-sync/plan.js';
import type { Article } from '../../src/sdk/types.js';

const doc = (slug: string, body = `body of ${slug}`): Doc => ({ path: `${slug}.md`, slug, article: { title: slug, body, collection: null, status: 'draft' } });
const article = (id: string, slug: string, body = `body of ${slug}`): Article => ({ id, slug, title: slug, body, collection: null, status: 'draft', created_at: '', updated_at: '' });

describe('planSync', () => {
  it('creates missing articles, updates changed ones with the changed fields, leaves equal ones', () => {
    const actions = planSync([doc('new'), doc('same'), doc('edited', 'v2')], [article('art_1', 'same'), article('art_2', 'edited', 'v1')], {}, false);
    expect(actions.map((a) => a.kind)).toEqual(['create', 'unchanged', 'update']);
    expect(actions[2]).toMatchObject({ changed: ['body'] });
  });

  it('deletes, with prune, only articles an earlier sync created whose file is gone', () => {
    const articles = [article('art_mine', 'gone'), article('art_theirs', 'manual'), article('art_kept', 'still-here'), article('art_other', 'reused')];
    // "reused": the slug we created was deleted and someone made a new article with it (another id): not ours.
    const created = { gone: 'art_mine', 'still-here': 'art_kept', reused: 'art_old', vanished: 'art_deleted_elsewhere' };
    const pruning = planSync([doc('still-here')], articles, created, true);
    expect(pruning.filter((a) => a.kind === 'delete').map((a) => 'article' in a && a.article.id)).toEqual(['art_mine']);
    expect(countByKind(planSync([doc('still-here')], articles, created, false))).toEqual({ create: 0, update: 0, unchanged: 1, delete: 0, orphan: 1 });
  });

  it('does not prune an article whose slug was renamed in the dashboard to one a file still has', () => {
    const actions = planSync([doc('renamed')], [article('art_mine', 'renamed')], { original: 'art_mine' }, true);
    expect(actions.map((a) => a.kind)).toEqual(['unchanged']);
  });
});

describe('ownedAfterSync', () => {
  it('keeps still-existing records under their current slug, adds new ones, drops deleted and vanished ones', () => {
    const owned = ownedAfterSync({ a: 'art_a', b: 'art_b', gone: 'art_gone' }, [article('art_a', 'a-renamed'), article('art_b', 'b')], [article('art_c', 'c')], new Set(['art_b']));
    expect(owned).toEqual({ 'a-renamed': 'art_a', c: 'art_c' });
  });
});
