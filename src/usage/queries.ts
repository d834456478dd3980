/**
 * Usage of one key over a window, from the rollups (never the raw rows), so the
 * answer costs two indexed aggregate queries whatever the traffic was.
 *
 * `keyUsage(db, keyId, sinceMs, now)` is the one entry point: the CLI's
 * `keys usage --json` prints it and `GET /manage/v1/api-keys/{id}/usage` serves
 * it. Its first eight fields are SPEC section 7's exact shape; the rest are extras.
 * Windows that the minute rollups still cover are counted at minute resolution
 * (the minute holding `since` is counted whole), those the hour rollups cover at
 * hour resolution (the hour holding `since` counted whole), longer ones at
 * UTC-day resolution; each adds up the rows of its own period and of the
 * shorter ones not yet folded into it (retention.ts).
 */
import { type Kysely, sql } from 'kysely';
import { LATENCY_BUCKETS, latencyQuantile } from '../core/latency.js';
import { ApiError } from '../core/problems.js';
import { findKeyRow, secretsOf } from '../store/keys-repo.js';
import { LATENCY_COLUMNS, type Database } from '../store/schema.js';
import { HOUR_ROLLUP_DAYS, MINUTE_ROLLUP_DAYS } from './retention.js';
import { PERIOD_MS, type RollupRow } from './writer.js';
import { isoTime as iso } from '../core/iso-time.js';

const { hour: HOUR_MS, day: DAY_MS } = PERIOD_MS;
export const MAX_USAGE_WINDOW_DAYS = 366;
const TOP_ROUTES = 50;

export type SeriesInterval = RollupRow['period'];
/** The rollup period a window is counted in. */
export type Resolution = RollupRow['period'];

export interface KeyUsage {
  key_id: string;
  /** ISO-8601 UTC start of the window, as asked. */
  since: string;
  total: number;
  by_status: { '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  /** 429 answers: per-minute limit or daily quota. */
  rate_limited: number;
  /** Most used first (at most 50). */
  routes: { route: string; count: number }[];
  /** One point per interval from `since` to `until`, zeros included, oldest first. */
  /** Per point: the total, its status classes and its 429s (the dashboard stacks them). */
  series: { t: string; count: number; by_status: StatusClasses; rate_limited: number }[];
  /** Scopes the key holds that no request in the window needed: a least-privilege hint. */
  unused_scopes: string[];
  until: string;
  interval: SeriesInterval;
  resolution: Resolution;
  /** Null when there were no requests. */
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
  last_used_at: string | null;
  secrets: { id: string; hint: string; last_used_at: string | null }[];
}

/** The series step for a window: about 100 points or fewer for the usual windows. */
export function seriesInterval(spanMs: number): SeriesInterval {
  if (spanMs <= 2 * HOUR_MS) return 'minute';
  if (spanMs <= 7 * DAY_MS) return 'hour';
  return 'day';
}

const PERIODS_UP_TO: Record<Resolution, Resolution[]> = { minute: ['minute'], hour: ['hour', 'minute'], day: ['day', 'hour', 'minute'] };

/**
 * The finest period whose rows still cover a window of `spanMs` ending now: a
 * day short of the tier's age, as the pruner folds hourly and a window's first
 * bucket is counted whole.
 */
export function resolutionOf(spanMs: number): Resolution {
  if (spanMs <= (MINUTE_ROLLUP_DAYS - 1) * DAY_MS) return 'minute';
  if (spanMs <= (HOUR_ROLLUP_DAYS - 1) * DAY_MS) return 'hour';
  return 'day';
}

export async function keyUsage(db: Kysely<Database>, keyId: string, sinceMs: number, now: number): Promise<KeyUsage> {
  if (!Number.isFinite(sinceMs) || sinceMs > now) throw new ApiError('invalid_request', 'since must not be in the future', { errors: [{ path: 'since', message: 'must not be in the future' }] });
  if (now - sinceMs > MAX_USAGE_WINDOW_DAYS * DAY_MS) {
    throw new ApiError('invalid_request', `since may be at most ${MAX_USAGE_WINDOW_DAYS} days ago`, { errors: [{ path: 'since', message: `at most ${MAX_USAGE_WINDOW_DAYS} days ago` }] });
  }
  const key = await findKeyRow(db, keyId);
  if (!key) throw new ApiError('not_found', `key ${keyId} not found`);

  const resolution = resolutionOf(now - sinceMs);
  const bucket = PERIOD_MS[resolution];
  const drawn = seriesInterval(now - sinceMs);
  // Never finer than the rows it is drawn from.
  const interval = PERIOD_MS[drawn] < bucket ? resolution : drawn;
  const step = PERIOD_MS[interval];
  // Longer periods hold only what has been folded out of shorter ones (retention.ts), so a window adds up
  // its resolution's rows and the shorter periods' rows; every request is in exactly one of them.
  const window = db
    .selectFrom('usage_rollups')
    .where('key_id', '=', keyId)
    .where('period', 'in', PERIODS_UP_TO[resolution])
    .where('bucket_start', '>=', sinceMs - (sinceMs % bucket))
    .where('bucket_start', '<=', now);

  const [groups, points, secrets] = await Promise.all([
    window
      .select((eb) => [
        'route',
        'status',
        'required_scopes',
        eb.fn.sum<number>('count').as('count'),
        ...LATENCY_COLUMNS.map((c) => eb.fn.sum<number>(c).as(c)),
      ])
      .groupBy(['route', 'status', 'required_scopes'])
      .execute(),
    window
      .select([sql<number>`bucket_start - (bucket_start % ${step})`.as('t'), 'status', (eb) => eb.fn.sum<number>('count').as('count')])
      .groupBy(['t', 'status'])
      .execute(),
    secretsOf(db, [keyId]),
  ]);

  const byStatus = emptyClasses();
  const routes = new Map<string, number>();
  const needed = new Set<string>();
  const histogram = new Array<number>(LATENCY_BUCKETS).fill(0);
  let total = 0;
  let rateLimited = 0;
  for (const g of groups) {
    const count = Number(g.count);
    total += count;
    addToClass(byStatus, g.status, count);
    if (g.status === 429) rateLimited += count;
    routes.set(g.route, (routes.get(g.route) ?? 0) + count);
    for (const scope of g.required_scopes.split(' ')) if (scope) needed.add(scope);
    LATENCY_COLUMNS.forEach((c, i) => (histogram[i]! += Number(g[c])));
  }

  const series: KeyUsage['series'] = [];
  const pointAt = new Map<number, KeyUsage['series'][number]>();
  for (let t = sinceMs - (sinceMs % step); t <= now; t += step) {
    const point = { t: iso(t)!, count: 0, by_status: emptyClasses(), rate_limited: 0 };
    series.push(point);
    pointAt.set(t, point);
  }
  for (const p of points) {
    const point = pointAt.get(Number(p.t));
    if (!point) continue;
    const count = Number(p.count);
    point.count += count;
    addToClass(point.by_status, p.status, count);
    if (p.status === 429) point.rate_limited += count;
  }

  const granted = JSON.parse(key.scopes) as string[];
  const lastUsed = secrets.reduce<number | null>((m, s) => (s.last_used_at !== null && (m === null || s.last_used_at > m) ? s.last_used_at : m), null);
  return {
    key_id: keyId,
    since: iso(sinceMs)!,
    total,
    by_status: byStatus,
    rate_limited: rateLimited,
    routes: [...routes].sort(([ra, a], [rb, b]) => b - a || (ra < rb ? -1 : 1)).slice(0, TOP_ROUTES).map(([route, count]) => ({ route, count })),
    series,
    unused_scopes: granted.filter((s) => !needed.has(s)).sort(),
    until: iso(now)!,
    interval,
    resolution,
    latency_ms: { p50: latencyQuantile(histogram, 0.5), p95: latencyQuantile(histogram, 0.95), p99: latencyQuantile(histogram, 0.99) },
    last_used_at: iso(lastUsed),
    secrets: secrets.map((s) => ({ id: s.id, hint: s.hint, last_used_at: iso(s.last_used_at) })),
  };
}

type StatusClasses = { '2xx': number; '3xx': number; '4xx': number; '5xx': number };

function emptyClasses(): StatusClasses {
  return { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
}

function addToClass(classes: StatusClasses, status: number, count: number): void {
  const cls = `${Math.floor(status / 100)}xx`;
  if (cls in classes) classes[cls as keyof StatusClasses] += count;
}

/** Exactly the SPEC 7 object of `keys usage --json` (and the management API's default answer). */
export type SpecKeyUsage = Pick<KeyUsage, 'key_id' | 'since' | 'total' | 'by_status' | 'rate_limited' | 'routes' | 'unused_scopes'> & {
  series: { t: string; count: number }[];
};

/** Drops the extras (latency, secrets, per-point classes) that only the dashboard asks for. */
export function specUsage(u: KeyUsage): SpecKeyUsage {
  return {
    key_id: u.key_id,
    since: u.since,
    total: u.total,
    by_status: u.by_status,
    rate_limited: u.rate_limited,
    routes: u.routes,
    series: u.series.map((p) => ({ t: p.t, count: p.count })),
    unused_scopes: u.unused_scopes,
  };
}
