/** `atender webhooks ...`: endpoints, their delivery log, retry and replay (SPEC section 7). */
import type { Command } from 'commander';
import { parseDuration } from '../core/durations.js';
import { environmentFromFlag } from '../core/keys.js';
import { WEBHOOK_EVENT_TYPES, parseEventTypes } from '../core/webhooks.js';
import { DEFAULT_OVERLAP_MS, type DeliveryView, type EndpointView, MAX_OVERLAP_MS } from '../services/webhooks.js';
import { TargetRefused, parseTargetUrl } from '../webhooks/target-guard.js';
import { UsageError, operator, positiveInt, printJson, withRuntime } from './context.js';

const ENDPOINT_ID = /^whe_[0-9a-z]{26}$/;
const DELIVERY_ID = /^dlv_[0-9a-z]{26}$/;

function endpointId(value: string): string {
  if (!ENDPOINT_ID.test(value)) throw new UsageError(`not a webhook endpoint id (whe_...): "${value}"`);
  return value;
}

/** `24h` (that long ago) or an ISO-8601 time → epoch ms. */
function timeFlag(flag: string, value: string, now: number): number {
  const ago = parseDuration(value);
  if (ago !== null) return now - ago;
  const at = Date.parse(value);
  if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}/.test(value)) throw new UsageError(`${flag} must be a duration like 24h or an ISO-8601 time, got "${value}"`);
  return at;
}

function describeEndpoint(e: EndpointView): string {
  const state = e.enabled ? 'enabled' : `disabled (${e.disabled_reason ?? 'admin'})`;
  return `${e.id}  ${e.environment.padEnd(10)} ${state.padEnd(18)} ${e.url}\n  events ${e.events.join(', ')}\n`;
}

function describeDelivery(d: DeliveryView): string {
  const lines = [`${d.id}  ${d.event_type.padEnd(20)} ${d.status.padEnd(9)} event ${d.event_id}  ${d.created_at}`];
  for (const a of d.attempts) {
    const outcome = a.status_code === null ? `error: ${a.error}` : `HTTP ${a.status_code}`;
    const body = a.response_body ? `  ${JSON.stringify(a.response_body.slice(0, 80))}${a.response_truncated || a.response_body.length > 80 ? '…' : ''}` : '';
    lines.push(`  #${a.attempt} ${a.at}  ${outcome}  ${a.latency_ms} ms${body}`);
  }
  if (d.status === 'pending' && d.next_attempt_at) lines.push(`  next attempt ${d.next_attempt_at}`);
  return `${lines.join('\n')}\n`;
}

export function webhookCommands(program: Command): void {
  const webhooks = program.command('webhooks').description('webhook endpoints and their deliveries');

  webhooks
    .command('create')
    .description('create an endpoint; prints its signing secret once')
    .requiredOption('--org <org>', 'org id or slug')
    .requiredOption('--env <env>', 'live|test (or production|sandbox)')
    .requiredOption('--url <url>', 'http(s) URL the events are POSTed to')
    .requiredOption('--events <events>', `comma-separated: ${WEBHOOK_EVENT_TYPES.join(', ')}`)
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; env: string; url: string; events: string; json?: boolean }) => {
      const environment = environmentFromFlag(opts.env);
      if (!environment) throw new UsageError(`--env must be live or test (or production, sandbox), got "${opts.env}"`);
      const events = parseEventTypes(opts.events.split(','));
      if ('unknown' in events) throw new UsageError(`unknown event type(s): ${events.unknown.join(', ')}`);
      if (events.events.length === 0) throw new UsageError('--events must name at least one event type');
      try {
        parseTargetUrl(opts.url);
      } catch (error) {
        if (error instanceof TargetRefused) throw new UsageError(`--url: ${error.message}`);
        throw error;
      }
      const created = await withRuntime(async (rt) => rt.webhooks.create({ orgId: (await rt.orgs.resolve(opts.org)).id, environment, url: opts.url, events: events.events }, operator()));
      if (opts.json) return printJson({ id: created.id, url: created.url, environment: created.environment, events: created.events, enabled: created.enabled, secret: created.secret });
      process.stdout.write(`${describeEndpoint(created)}\nSigning secret (shown once; store it now):\n  ${created.secret}\n`);
    });

  webhooks
    .command('list')
    .description("list an org's endpoints (no secrets)")
    .requiredOption('--org <org>', 'org id or slug')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; json?: boolean }) => {
      const list = await withRuntime(async (rt) => rt.webhooks.list((await rt.orgs.resolve(opts.org)).id));
      if (opts.json) return printJson({ data: list });
      if (list.length === 0) return void process.stdout.write('no webhook endpoints\n');
      for (const e of list) process.stdout.write(describeEndpoint(e));
    });

  webhooks
    .command('deliveries <endpoint_id>')
    .description('the delivery log: each attempt with status, latency and the start of the answer')
    .option('--limit <n>', 'how many deliveries, newest first (at most 100)', positiveInt('--limit'), 20)
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { limit: number; json?: boolean }) => {
      const limit = Math.min(opts.limit, 100);
      const eid = endpointId(id);
      const list = (await withRuntime((rt) => rt.webhooks.deliveries(eid, limit))).slice(0, limit);
      if (opts.json) return printJson({ data: list });
      if (list.length === 0) return void process.stdout.write('no deliveries\n');
      for (const d of list) process.stdout.write(describeDelivery(d));
    });

  for (const [verb, enabled] of [['disable', false], ['enable', true]] as const) {
    webhooks
      .command(`${verb} <endpoint_id>`)
      .description(`${verb} an endpoint${enabled ? ' (clears an automatic disable)' : ''}`)
      .option('--json', 'print JSON')
      .action(async (id: string, opts: { json?: boolean }) => {
        const eid = endpointId(id);
        const endpoint = await withRuntime((rt) => rt.webhooks.update(eid, { enabled }, operator()));
        if (opts.json) return printJson(endpoint);
        process.stdout.write(describeEndpoint(endpoint));
      });
  }

  webhooks
    .command('delete <endpoint_id>')
    .description('delete an endpoint and its delivery log')
    .action(async (id: string) => {
      const eid = endpointId(id);
      await withRuntime((rt) => rt.webhooks.remove(eid, operator()));
      process.stdout.write(`deleted ${eid}\n`);
    });

  webhooks
    .command('rotate-secret <endpoint_id>')
    .description('new signing secret (shown once); the old one also signs for --overlap')
    .option('--overlap <duration>', 'how long both secrets sign, at most 7d', '24h')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { overlap: string; json?: boolean }) => {
      const overlap = opts.overlap === '0' ? 0 : parseDuration(opts.overlap);
      if (overlap === null || overlap > MAX_OVERLAP_MS) throw new UsageError(`--overlap must be a duration up to 7d, like 24h, got "${opts.overlap}"`);
      const eid = endpointId(id);
      const rotated = await withRuntime((rt) => rt.webhooks.rotateSecret(eid, overlap ?? DEFAULT_OVERLAP_MS, operator()));
      if (opts.json) return printJson(rotated);
      process.stdout.write(`${describeEndpoint(rotated)}\nNew signing secret (shown once):\n  ${rotated.secret}\n`);
    });

  webhooks
    .command('retry <endpoint_id> <delivery_id>')
    .description('attempt a delivery again now')
    .option('--json', 'print JSON')
    .action(async (id: string, deliveryId: string, opts: { json?: boolean }) => {
      const eid = endpointId(id);
      if (!DELIVERY_ID.test(deliveryId)) throw new UsageError(`not a delivery id (dlv_...): "${deliveryId}"`);
      const delivery = await withRuntime((rt) => rt.webhooks.retry(eid, deliveryId, operator()));
      if (opts.json) return printJson(delivery);
      process.stdout.write(describeDelivery(delivery));
    });

  webhooks
    .command('replay <endpoint_id>')
    .description('send again every matching event created in a time range')
    .requiredOption('--since <time>', 'start: a duration ago (24h) or an ISO-8601 time')
    .option('--until <time>', 'end (exclusive): a duration ago or an ISO-8601 time; default now')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { since: string; until?: string; json?: boolean }) => {
      const eid = endpointId(id);
      const now = Date.now();
      const since = timeFlag('--since', opts.since, now);
      const until = opts.until === undefined ? undefined : timeFlag('--until', opts.until, now);
      if (until !== undefined && since >= until) throw new UsageError('--since must be before --until');
      const result = await withRuntime((rt) => rt.webhooks.replay(eid, { since, until }, operator()));
      if (opts.json) return printJson(result);
      process.stdout.write(`${result.replayed} event(s) queued for delivery again\n`);
    });
}
