/**
 * One HTTP exchange with retries. What is retried, and why it is safe:
 * - 429: the server did nothing (a refused request takes no budget), so any
 *   request may be repeated; we wait the `Retry-After` it names.
 * - 5xx and network failures: only when repeating cannot do something twice,
 *   i.e. GET/PUT/DELETE, a PATCH the caller marks idempotent, or a POST that
 *   carries an Idempotency-Key (which is the same on every attempt).
 * Waits grow exponentially with jitter, and are capped twice: by attempts and
 * by the total time spent waiting, so a script never hangs for a day quota.
 */
import { randomUUID } from 'node:crypto';
import { type AtenderError, ConnectionError, errorFromResponse } from './errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query | undefined;
  body?: unknown;
  /** POST only: the Idempotency-Key; generated when omitted, `false` sends none. */
  idempotencyKey?: string | false | undefined;
  /** Repeating this request is harmless even though its method does not say so. */
  idempotent?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

export interface Reply<T> {
  status: number;
  headers: Headers;
  data: T;
}

export interface RetryPolicy {
  /** Retries after the first attempt (default 4). */
  maxRetries: number;
  /** The most time one call may spend waiting between attempts, in ms (default 60 000). */
  maxRetryWaitMs: number;
  /** First backoff step in ms (default 500); doubles each attempt up to `maxBackoffMs`. */
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export interface TransportOptions extends RetryPolicy {
  apiKey: string;
  baseUrl: string;
  timeoutMs: number;
  userAgent: string;
  fetch: typeof globalThis.fetch;
  /** Injected for tests: how to wait, and what time it is. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
  random: () => number;
}

const REPEATABLE_METHODS = new Set<HttpMethod>(['GET', 'PUT', 'DELETE']);

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class Transport {
  /** Statistics a caller (push-kb, benchmarks) can report: attempts sent, retries, time waited. */
  readonly stats = { requests: 0, retries: 0, waitedMs: 0 };
  /**
   * A 429 pauses every request of this client until its Retry-After has passed:
   * concurrent workers would otherwise spend requests finding the bucket empty.
   */
  private pausedUntil = 0;

  constructor(private readonly options: TransportOptions) {}

  async request<T>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<Reply<T>> {
    const o = this.options;
    const idempotencyKey = method === 'POST' && opts.idempotencyKey !== false ? (opts.idempotencyKey ?? randomUUID()) : undefined;
    const repeatable = REPEATABLE_METHODS.has(method) || idempotencyKey !== undefined || opts.idempotent === true;
    const url = this.url(path, opts.query);
    const headers: Record<string, string> = { authorization: `Bearer ${o.apiKey}`, accept: 'application/json', 'user-agent': o.userAgent };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    let waited = 0;

    for (let attempt = 0; ; attempt++) {
      waited += await this.waitForPause(opts.signal);
      let failure: AtenderError;
      let retryable: boolean;
      try {
        this.stats.requests++;
        const response = await o.fetch(url, { method, headers, body, signal: this.attemptSignal(opts.signal) });
        const data = await readBody(response);
        if (response.ok) return { status: response.status, headers: response.headers, data: data as T };
        failure = errorFromResponse(response.status, response.headers, data, o.now());
        retryable = response.status === 429 || (response.status >= 500 && repeatable);
      } catch (error) {
        if (opts.signal?.aborted) throw error;
        failure = new ConnectionError({ code: 'connection_error', status: 0, detail: `${method} ${url.pathname} got no answer: ${describe(error)}`, cause: error });
        retryable = repeatable;
      }
      if (!retryable || attempt >= o.maxRetries) throw failure;
      const wait = this.delay(attempt, failure);
      if (waited + wait > o.maxRetryWaitMs) throw failure;
      if (failure.status === 429) this.pausedUntil = Math.max(this.pausedUntil, o.now() + wait);
      await o.sleep(wait, opts.signal);
      waited += wait;
      this.stats.retries++;
      this.stats.waitedMs += wait;
    }
  }

  private url(path: string, query: Query | undefined): URL {
    const url = new URL(this.options.baseUrl + path);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    return url;
  }

  private attemptSignal(caller: AbortSignal | undefined): AbortSignal {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    return caller ? AbortSignal.any([caller, timeout]) : timeout;
  }

  /** Retry-After when the server named one (plus up to 10% jitter so waiters spread out), else exponential backoff with jitter. */
  private delay(attempt: number, failure: AtenderError): number {
    const { initialBackoffMs, maxBackoffMs, random } = this.options;
    if (failure.retryAfter !== undefined) {
      const ms = failure.retryAfter * 1000;
      return Math.ceil(ms + random() * Math.max(100, ms * 0.1));
    }
    const ceiling = Math.min(maxBackoffMs, initialBackoffMs * 2 ** attempt);
    return Math.ceil(ceiling / 2 + (random() * ceiling) / 2);
  }

  private async waitForPause(signal: AbortSignal | undefined): Promise<number> {
    const wait = this.pausedUntil - this.options.now();
    if (wait <= 0) return 0;
    await this.options.sleep(wait, signal);
    this.stats.waitedMs += wait;
    return wait;
  }
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204) return null;
  const text = await response.text();
  if (text === '') return null;
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    if (error.name === 'TimeoutError') return 'timed out';
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
