/**
 * Applies a plan with at most `concurrency` requests in flight. Rate limits are
 * the SDK's business (it waits out 429s); here a failure is recorded and the
 * rest continues, except when the key itself is refused (401, or 403 for a
 * missing scope): every other write would fail the same way, so we stop.
 */
import { AtenderError, AuthenticationError, NotFoundError, PermissionError } from '../sdk/errors.js';
import type { Atender } from '../sdk/client.js';
import type { Article } from '../sdk/types.js';
import type { Action } from './plan.js';

export type WriteAction = Extract<Action, { kind: 'create' | 'update' | 'delete' }>;

export interface Outcome {
  action: WriteAction;
  /** The article as the server answered it (create, update). */
  article?: Article;
  error?: AtenderError | Error;
  /** Not attempted: an earlier answer showed the key cannot write, or the run was interrupted. */
  skipped?: boolean;
}

export function isWrite(action: Action): action is WriteAction {
  return action.kind === 'create' || action.kind === 'update' || action.kind === 'delete';
}

async function perform(client: Atender, action: WriteAction): Promise<Article | undefined> {
  const articles = client.knowledge.articles;
  switch (action.kind) {
    case 'create':
      return articles.create({ slug: action.doc.slug, ...action.doc.article });
    case 'update': {
      const patch = Object.fromEntries(action.changed.map((field) => [field, action.doc.article[field]]));
      return articles.update(action.article.id, patch);
    }
    case 'delete':
      try {
        await articles.delete(action.article.id);
      } catch (error) {
        // Deleted meanwhile (or by an earlier attempt whose answer was lost): the goal is met.
        if (!(error instanceof NotFoundError)) throw error;
      }
      return undefined;
  }
}

const refusesTheKey = (error: unknown) => error instanceof AuthenticationError || (error instanceof PermissionError && error.code === 'insufficient_scope');

/** `interrupt` (Ctrl-C) lets requests in flight finish and skips the rest, so what was created is still recorded. */
export async function applyPlan(client: Atender, actions: readonly WriteAction[], concurrency: number, onOutcome: (outcome: Outcome) => void, interrupt?: AbortSignal): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  let stopped = false;
  const record = (outcome: Outcome) => {
    outcomes.push(outcome);
    onOutcome(outcome);
  };
  const worker = async () => {
    while (next < actions.length) {
      const action = actions[next++]!;
      if (stopped || interrupt?.aborted) {
        record({ action, skipped: true });
        continue;
      }
      try {
        record({ action, article: await perform(client, action) });
      } catch (error) {
        if (refusesTheKey(error)) stopped = true;
        record({ action, error: error as Error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, actions.length) }, worker));
  return outcomes;
}
