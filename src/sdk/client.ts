/**
 * The Atender client. The key decides the tenant (and so the environment), so
 * one client talks to one tenant. A malformed key is refused here, before any
 * request: the format and its CRC-32 checksum are checked locally (SPEC section 2).
 */
import { KEY_PATTERN, parseKey } from '../core/keys.js';
import { AtenderConfigError } from './errors.js';
import type { CallOptions } from './resources/collection.js';
import { type ContactsResource, contactsResource } from './resources/contacts.js';
import { type ChannelsResource, type ConversationsResource, channelsResource, conversationsResource } from './resources/conversations.js';
import { type ArticlesResource, articlesResource } from './resources/knowledge.js';
import { Transport, type RetryPolicy, abortableSleep } from './transport.js';
import type { AnalyticsQuery, ConversationAnalytics, Me } from './types.js';

export interface AtenderOptions extends Partial<RetryPolicy> {
  /** Defaults to the ATENDER_API_KEY environment variable. */
  apiKey?: string | undefined;
  /** The server's base URL without `/v1`, e.g. `http://127.0.0.1:3000`; defaults to ATENDER_API_URL. */
  baseUrl?: string | undefined;
  /** Per-attempt timeout in ms (default 30 000). */
  timeoutMs?: number | undefined;
  fetch?: typeof globalThis.fetch | undefined;
  userAgent?: string | undefined;
  /** For tests: how to wait and what time it is. */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  now?: (() => number) | undefined;
  random?: (() => number) | undefined;
}

const env = (name: string): string | undefined => (typeof process === 'undefined' ? undefined : process.env[name]) || undefined;

/** Why a key is malformed, without ever repeating the key. */
export function keyProblem(key: string): string | null {
  if (parseKey(key)) return null;
  if (!KEY_PATTERN.test(key)) {
    return `the API key does not have the key format (sa_live_ or sa_test_ followed by 46 letters and digits; got ${key.length} characters)`;
  }
  return 'the API key fails its checksum: a character was mistyped or it was cut short; copy it again';
}

export function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AtenderConfigError('invalid_base_url', `the base URL is not a URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AtenderConfigError('invalid_base_url', `the base URL must be http(s), got "${url.protocol}"`);
  // Tolerate a trailing slash or `/v1`: every path the SDK sends already starts with `/v1`.
  return `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '')}`;
}

export class Atender {
  readonly environment: 'production' | 'sandbox';
  readonly baseUrl: string;
  readonly knowledge: { articles: ArticlesResource };
  readonly contacts: ContactsResource;
  readonly conversations: ConversationsResource;
  readonly channels: ChannelsResource;
  readonly analytics: { conversations(query?: AnalyticsQuery, opts?: CallOptions): Promise<ConversationAnalytics> };
  /** Attempts sent, retries made and time spent waiting, since this client was made. */
  readonly stats: Transport['stats'];
  protected readonly transport: Transport;

  constructor(options: AtenderOptions = {}) {
    const apiKey = options.apiKey ?? env('ATENDER_API_KEY');
    if (!apiKey) throw new AtenderConfigError('missing_api_key', 'no API key: pass `apiKey` or set ATENDER_API_KEY');
    const problem = keyProblem(apiKey);
    if (problem) throw new AtenderConfigError('malformed_api_key', problem);
    const baseUrl = options.baseUrl ?? env('ATENDER_API_URL');
    if (!baseUrl) throw new AtenderConfigError('missing_base_url', 'no server URL: pass `baseUrl` or set ATENDER_API_URL (e.g. http://127.0.0.1:3000)');
    this.baseUrl = normaliseBaseUrl(baseUrl);
    this.environment = apiKey.startsWith('sa_live_') ? 'production' : 'sandbox';
    this.transport = new Transport({
      apiKey,
      baseUrl: this.baseUrl,
      maxRetries: options.maxRetries ?? 4,
      maxRetryWaitMs: options.maxRetryWaitMs ?? 60_000,
      initialBackoffMs: options.initialBackoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 8_000,
      timeoutMs: options.timeoutMs ?? 30_000,
      userAgent: options.userAgent ?? 'atender-sdk-typescript/0.1',
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      sleep: options.sleep ?? abortableSleep,
      now: options.now ?? Date.now,
      random: options.random ?? Math.random,
    });
    this.stats = this.transport.stats;
    this.knowledge = { articles: articlesResource(this.transport) };
    this.contacts = contactsResource(this.transport);
    this.conversations = conversationsResource(this.transport);
    this.channels = channelsResource(this.transport);
    this.analytics = {
      conversations: async (query = {}, opts = {}) => (await this.transport.request<ConversationAnalytics>('GET', '/v1/analytics/conversations', { query, signal: opts.signal })).data,
    };
  }

  /** `GET /v1/me`: the key's scopes, tier, limits, remaining budget and tenant (no scope needed). */
  async me(opts: CallOptions = {}): Promise<Me> {
    return (await this.transport.request<Me>('GET', '/v1/me', { signal: opts.signal })).data;
  }

  /** Any other call, with the same key, retries and errors. */
  request<T>(...args: Parameters<Transport['request']>) {
    return this.transport.request<T>(...args);
  }
}
