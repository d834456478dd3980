/**
 * What `atender push-kb <dir>` does (src/cli/push-kb.ts registers it): doc-as-code sync of a Markdown folder into the
 * knowledge base of the key's tenant, through the SDK (ATENDER_API_KEY,
 * ATENDER_API_URL). Plan first, then apply; a run with nothing changed writes
 * nothing. See README "push-kb" for what --prune may delete and why.
 */
import { stat } from 'node:fs/promises';
import { readDocs } from '../kb-sync/docs.js';
import { type Action, countByKind, ownedAfterSync, planSync } from '../kb-sync/plan.js';
import { type Outcome, type WriteAction, applyPlan, isWrite } from '../kb-sync/apply.js';
import { MANIFEST_FILE, readManifest, writeManifest } from '../kb-sync/manifest.js';
import { Atender, type AtenderOptions } from '../sdk/client.js';
import { AtenderConfigError, AtenderError } from '../sdk/errors.js';
import type { Article } from '../sdk/types.js';
import { UsageError } from './context.js';
import { type ProgressStream, progress } from './progress.js';
import { MAX_CONCURRENCY } from './push-kb.js';

export interface PushKbOptions {
  dir: string;
  dryRun?: boolean | undefined;
  prune?: boolean | undefined;
  yes?: boolean | undefined;
  concurrency?: number | undefined;
  /** Overrides of the SDK client (tests inject time here). */
  client?: AtenderOptions | undefined;
  out?: ProgressStream | undefined;
  err?: ProgressStream | undefined;
}

export interface PushKbResult {
  counts: Record<Action['kind'], number>;
  failed: number;
  requests: number;
}

export class SyncFailed extends Error {}

function describeError(error: unknown): string {
  if (error instanceof AtenderError && error.status > 0) return `${error.code}: ${error.detail}${error.requestId ? ` (request ${error.requestId})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

function planLine(action: Action): string | null {
  switch (action.kind) {
    case 'create':
      return `  create   ${action.doc.slug}  (${action.doc.path})`;
    case 'update':
      return `  update   ${action.doc.slug}  (${action.doc.path}: ${action.changed.join(', ')})`;
    case 'delete':
      return `  delete   ${action.article.slug}  (${action.article.id}: created by push-kb, its file is gone)`;
    case 'orphan':
      return `  keep     ${action.article.slug}  (${action.article.id}: its file is gone; --prune deletes it)`;
    case 'unchanged':
      return null;
  }
}

function outcomeLine(o: Outcome): string {
  const slug = o.action.kind === 'delete' ? o.action.article.slug : o.action.doc.slug;
  if (o.skipped) return `skipped  ${slug}`;
  if (o.error) return `failed   ${slug}: ${describeError(o.error)}`;
  const verb = { create: 'created', update: 'updated', delete: 'deleted' }[o.action.kind];
  return `${verb.padEnd(8)} ${slug}${o.article ? `  ${o.article.id}` : ''}`;
}

function makeClient(options: AtenderOptions): Atender {
  try {
    // Sync runs are long and rate-limit bound: wait out 429s far longer than an interactive call would.
    return new Atender({ maxRetries: 20, maxRetryWaitMs: 10 * 60_000, ...options });
  } catch (error) {
    if (error instanceof AtenderConfigError) throw new UsageError(error.message);
    throw error;
  }
}

export async function pushKb(options: PushKbOptions): Promise<PushKbResult> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const write = (line: string) => void out.write(`${line}\n`);
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) throw new UsageError(`--concurrency must be 1-${MAX_CONCURRENCY}`);
  if (!(await stat(options.dir).catch(() => null))?.isDirectory()) throw new UsageError(`not a directory: ${options.dir}`);
  const client = makeClient(options.client ?? {});
  if (client.environment === 'production') {
    if (!options.yes && !options.dryRun) throw new UsageError('refusing to write with a production key (sa_live_) without --yes; try a sandbox key (sa_test_) first');
    err.write('atender: warning: this is a production key (sa_live_): the sync changes live articles\n');
  }

  const { docs, problems } = await readDocs(options.dir);
  if (problems.length > 0) {
    for (const p of problems) err.write(`atender: ${p.path}: ${p.message}\n`);
    throw new SyncFailed(`push-kb: ${problems.length} file(s) cannot be synced; nothing was written`);
  }
  const manifest = await readManifest(options.dir);
  const me = await client.me();
  const articles = await client.knowledge.articles.list().toArray();
  const created = manifest.tenants[me.tenant.id]?.articles ?? {};
  const actions = planSync(docs, articles, created, options.prune === true);
  const counts = countByKind(actions);

  write(`push-kb: ${docs.length} file(s) in ${options.dir} → ${client.baseUrl} (${me.environment} tenant ${me.tenant.id})`);
  write(`plan: ${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete, ${counts.unchanged} unchanged${counts.orphan ? `, ${counts.orphan} kept without --prune` : ''}`);
  for (const action of actions) {
    const line = planLine(action);
    if (line) write(line);
  }
  const writes = actions.filter(isWrite);
  if (options.dryRun || writes.length === 0) {
    write(`${options.dryRun ? 'dry run: nothing written' : 'nothing to do'} (${client.stats.requests} requests)`);
    return { counts, failed: 0, requests: client.stats.requests };
  }

  const started = Date.now();
  const bar = progress(out, writes.length);
  const interrupt = new AbortController();
  const onSigint = () => {
    err.write('\natender: interrupted: finishing the requests in flight, then saving what was created\n');
    interrupt.abort();
  };
  process.once('SIGINT', onSigint);
  const outcomes = await applyPlan(client, writes as WriteAction[], concurrency, (o) => bar.step(outcomeLine(o), o.error !== undefined || o.skipped === true), interrupt.signal).finally(() => process.off('SIGINT', onSigint));
  bar.end();

  const newlyCreated = outcomes.filter((o) => o.action.kind === 'create' && o.article).map((o) => o.article as Article);
  const deletedIds = new Set(outcomes.filter((o) => o.action.kind === 'delete' && !o.error && !o.skipped).map((o) => (o.action as Extract<Action, { kind: 'delete' }>).article.id));
  manifest.tenants[me.tenant.id] = { environment: me.environment, articles: ownedAfterSync(created, articles, newlyCreated, deletedIds) };
  await writeManifest(options.dir, manifest).catch((error: Error) => {
    throw new SyncFailed(`push-kb: could not save ${MANIFEST_FILE} (${error.message}); --prune will not know the articles created now`);
  });

  const failures = outcomes.filter((o) => o.error || o.skipped);
  const done = (kind: string) => outcomes.filter((o) => o.action.kind === kind && !o.error && !o.skipped).length;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  write(`done: ${done('create')} created, ${done('update')} updated, ${done('delete')} deleted, ${counts.unchanged} unchanged, ${failures.length} failed in ${seconds}s (${client.stats.requests} requests, ${client.stats.retries} retries)`);
  if (failures.length > 0) {
    const errors = failures.filter((o) => o.error);
    const skipped = failures.length - errors.length;
    const first = errors[0]?.error;
    throw new SyncFailed(`push-kb: ${errors.length} of ${writes.length} change(s) failed${skipped ? `, ${skipped} skipped` : ''}${first ? `; first: ${describeError(first)}` : ''}`);
  }
  return { counts, failed: 0, requests: client.stats.requests };
}

/** The command's action: API refusals outside the apply phase (me, listing) become their code and message, exit 1. */
export async function runPushKbCommand(options: PushKbOptions): Promise<void> {
  try {
    await pushKb(options);
  } catch (error) {
    if (error instanceof AtenderError && !(error instanceof AtenderConfigError)) throw new SyncFailed(`push-kb: ${describeError(error)}`);
    throw error;
  }
}
