/**
 * Prometheus instruments for one serving process, in its own registry (tests run
 * several apps in one process). Counters the process keeps anyway (cache hits,
 * usage drops, feed failures) are read at scrape time rather than duplicated.
 *
 * Per-request counts cost one Map lookup and an increment: they are kept in
 * plain maps and handed to prom-client only at scrape time (prom-client hashes
 * its label object on every `inc`, which the profile showed per request), and
 * histograms observe through label children resolved once per route.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Decision } from '../core/limits.js';

/** What the scrape reads from the running process. */
export interface MetricSources {
  cache(): { hits: number; misses: number };
  usage(): { pending: number; dropped: number; written: number };
  feed(): { healthy: boolean; listening: boolean | null; failures: number };
  limiter(): { degraded: boolean; degradations: number };
  liveNodes(): number;
  webhooks(): { delivered: number; retried: number; failed: number; endpointsDisabled: number };
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new CountsByLabels<'method' | 'route' | 'status'>();
  private readonly auth = new CountsByLabels<'outcome'>();
  private readonly decisions = new CountsByLabels<'result' | 'store'>();
  private readonly duration = new Histogram({
    name: 'atender_http_request_duration_seconds',
    help: 'Time to respond, by route template',
    labelNames: ['route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  private readonly limiterLatency = new Histogram({
    name: 'atender_limiter_latency_seconds',
    help: 'Time to make one rate-limit decision in a remote store (an in-process decision takes well under a microsecond and is not timed)',
    labelNames: ['store'],
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [this.registry],
  });
  private readonly durationByRoute = childrenByLabel(this.duration, 'route');
  private readonly limiterLatencyByStore = childrenByLabel(this.limiterLatency, 'store');

  constructor(sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry });
    const r = [this.registry];
    this.requests.expose(this.registry, 'atender_http_requests_total', 'HTTP responses by method, route template and status', ['method', 'route', 'status']);
    this.auth.expose(this.registry, 'atender_auth_outcomes_total', 'Key pipeline outcomes: ok or the problem code that refused the request', ['outcome']);
    this.decisions.expose(this.registry, 'atender_limiter_decisions_total', 'Rate-limit decisions by result (allowed, minute, day) and where they were made (memory, redis, local fallback)', ['result', 'store']);
    // Counters cannot be set: reset + inc at scrape time reports the process's own running total.
    const counter = (name: string, help: string, read: () => number) =>
      new Counter({ name, help, registers: r, collect(this: Counter) { this.reset(); this.inc(read()); } });
    const gauge = (name: string, help: string, read: () => number) => new Gauge({ name, help, registers: r, collect(this: Gauge) { this.set(read()); } });
    counter('atender_key_cache_hits_total', 'Key lookups answered from the cache', () => sources.cache().hits);
    counter('atender_key_cache_misses_total', 'Key lookups that went to the database', () => sources.cache().misses);
    gauge('atender_key_cache_hit_ratio', 'Cache hits / lookups since start', () => {
      const { hits, misses } = sources.cache();
      return hits + misses === 0 ? 0 : hits / (hits + misses);
    });
    gauge('atender_usage_buffer_pending', 'Usage events waiting to be written', () => sources.usage().pending);
    counter('atender_usage_dropped_total', 'Usage events dropped because the buffer was full', () => sources.usage().dropped);
    counter('atender_usage_written_total', 'Usage events written', () => sources.usage().written);
    gauge('atender_redis_degraded', '1 while Redis is unreachable and this node serves from its capped local share', () => (sources.limiter().degraded ? 1 : 0));
    counter('atender_redis_degradations_total', 'Times this node lost Redis', () => sources.limiter().degradations);
    gauge('atender_key_feed_healthy', '1 while the key change feed is healthy (cached keys trusted)', () => (sources.feed().healthy ? 1 : 0));
    gauge('atender_key_feed_listening', '1 while the PostgreSQL LISTEN connection is up (-1: SQLite, none)', () => {
      const { listening } = sources.feed();
      return listening === null ? -1 : listening ? 1 : 0;
    });
    counter('atender_key_feed_failures_total', 'Failed polls of the key change feed', () => sources.feed().failures);
    gauge('atender_live_nodes', 'Serving nodes seen in the last 15 s (heartbeats)', () => sources.liveNodes());
    new Counter({
      name: 'atender_webhook_attempts_total',
      help: 'Webhook delivery attempts this node made, by what followed: delivered, retry (scheduled again) or failed (no retry left, or 410 Gone)',
      labelNames: ['outcome'],
      registers: r,
      collect(this: Counter<'outcome'>) {
        const { delivered, retried, failed } = sources.webhooks();
        this.reset();
        this.inc({ outcome: 'delivered' }, delivered);
        this.inc({ outcome: 'retry' }, retried);
        this.inc({ outcome: 'failed' }, failed);
      },
    });
    counter('atender_webhook_endpoints_disabled_total', 'Endpoints this node switched off (410 Gone, or 5 days without a success)', () => sources.webhooks().endpointsDisabled);
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc(`${method} ${route} ${status}`, () => ({ method, route, status }));
    this.durationByRoute(route).observe(seconds);
  }

  authOutcome(outcome: string): void {
    this.auth.inc(outcome, () => ({ outcome }));
  }

  /** `seconds` only for a decision made elsewhere (Redis): timing an in-process one would cost more than making it. */
  limiterDecision(store: string, decision: Decision, seconds?: number): void {
    const result = decision.allowed ? 'allowed' : (decision.violated ?? 'refused');
    this.decisions.inc(`${result} ${store}`, () => ({ result, store }));
    if (seconds !== undefined) this.limiterLatencyByStore(store).observe(seconds);
  }
}

/** A histogram's child for one label value, resolved once (prom-client hashes the label object on every call otherwise). */
function childrenByLabel<L extends string>(histogram: Histogram<L>, label: L): (value: string) => Histogram.Internal<L> {
  const children = new Map<string, Histogram.Internal<L>>();
  return (value) => {
    let child = children.get(value);
    if (child === undefined) children.set(value, (child = histogram.labels({ [label]: value } as Partial<Record<L, string>>)));
    return child;
  };
}

/** A labelled counter as a plain map, read by prom-client at scrape time. */
class CountsByLabels<L extends string> {
  private readonly counts = new Map<string, { labels: Partial<Record<L, string | number>>; n: number }>();

  /** `id` identifies the label values; `labels` is called only the first time it is seen. */
  inc(id: string, labels: () => Partial<Record<L, string | number>>): void {
    const entry = this.counts.get(id);
    if (entry === undefined) this.counts.set(id, { labels: labels(), n: 1 });
    else entry.n++;
  }

  expose(registry: Registry, name: string, help: string, labelNames: L[]): void {
    const counts = this.counts;
    new Counter<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect(this: Counter<L>) {
        this.reset();
        for (const { labels, n } of counts.values()) this.inc(labels, n);
      },
    });
  }
}
