/** Conversation analytics for one tenant over a window of UTC days (SPEC section 6). */
import type { Clock } from '../core/clock.js';
import { ApiError } from '../core/problems.js';
import { type BucketCount, DAY_MS, type Window, conversationCounts, countsPerBucket, dayOf, medianFirstResponseMs } from '../store/analytics-repo.js';
import type { Store } from '../store/db.js';

export const MAX_DAYS = 366;
const CHANNELS = ['api', 'email', 'chat', 'phone'] as const;

export type Interval = 'day' | 'week';

export interface AnalyticsRequest {
  from?: string | undefined;
  to?: string | undefined;
  interval?: Interval | undefined;
}

export interface ConversationAnalytics {
  from: string;
  to: string;
  interval: Interval;
  totals: { conversations: number; messages: number; open: number; closed: number };
  by_channel: Record<string, number>;
  median_first_response_seconds: number | null;
  series: { start: string; conversations: number; messages: number }[];
}

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const rangeError = (message: string, path: string) => new ApiError('invalid_request', message, { errors: [{ path, message }] });

/** Validated dates → the window in epoch ms (`to` included, so `until` is the next midnight). */
export function analyticsWindow(request: AnalyticsRequest, today: number): { from: number; until: number; interval: Interval } {
  const to = request.to === undefined ? Math.floor(today / DAY_MS) * DAY_MS : Date.parse(`${request.to}T00:00:00Z`);
  const from = request.from === undefined ? to - 29 * DAY_MS : Date.parse(`${request.from}T00:00:00Z`);
  if (Number.isNaN(from) || Number.isNaN(to)) throw rangeError('must be a date YYYY-MM-DD', 'querystring');
  if (from > to) throw rangeError('from must not be after to', 'querystring.from');
  const days = (to - from) / DAY_MS + 1;
  if (days > MAX_DAYS) throw rangeError(`the period may span at most ${MAX_DAYS} days (asked for ${days})`, 'querystring.to');
  return { from, until: to + DAY_MS, interval: request.interval ?? 'day' };
}

function zeroFilled(counts: BucketCount[], buckets: number): number[] {
  const series = new Array<number>(buckets).fill(0);
  for (const { bucket, n } of counts) if (bucket >= 0 && bucket < buckets) series[bucket] = n;
  return series;
}

export class AnalyticsService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async conversations(tenantId: string, request: AnalyticsRequest): Promise<ConversationAnalytics> {
    const { from, until, interval } = analyticsWindow(request, this.clock.now());
    const bucketMs = interval === 'week' ? 7 * DAY_MS : DAY_MS;
    const window: Window = { tenantId, fromDay: dayOf(from), untilDay: dayOf(until), bucketDays: bucketMs / DAY_MS };
    const db = this.store.db;
    const [counts, conversationBuckets, messageBuckets, medianMs] = await Promise.all([
      conversationCounts(db, window),
      countsPerBucket(db, 'conversations', window),
      countsPerBucket(db, 'messages', window),
      medianFirstResponseMs(db, window),
    ]);
    const buckets = Math.ceil((until - from) / bucketMs);
    const conversations = zeroFilled(conversationBuckets, buckets);
    const messages = zeroFilled(messageBuckets, buckets);
    const byChannel: Record<string, number> = Object.fromEntries(CHANNELS.map((c) => [c, 0]));
    const byStatus: Record<string, number> = { open: 0, closed: 0 };
    for (const { channel, status, n } of counts) {
      byChannel[channel] = (byChannel[channel] ?? 0) + n;
      byStatus[status] = (byStatus[status] ?? 0) + n;
    }
    return {
      from: isoDate(from),
      to: isoDate(until - DAY_MS),
      interval,
      totals: {
        conversations: conversations.reduce((a, b) => a + b, 0),
        messages: messages.reduce((a, b) => a + b, 0),
        open: byStatus.open ?? 0,
        closed: byStatus.closed ?? 0,
      },
      by_channel: byChannel,
      median_first_response_seconds: medianMs === null ? null : Math.round(medianMs) / 1000,
      series: conversations.map((n, i) => ({ start: isoDate(from + i * bucketMs), conversations: n, messages: messages[i]! })),
    };
  }
}
