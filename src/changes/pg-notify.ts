/**
 * PostgreSQL LISTEN on a dedicated connection: a trigger on `key_changes`
 * (migration 006) sends NOTIFY in the inserting transaction, so a node hears of a
 * committed change at once and polls the feed immediately instead of waiting for
 * the next tick. Polling stays as the safety net and the source of truth.
 *
 * The connection is checked every second; when it drops it is re-opened with
 * backoff, and while it is down `listening` is false, which makes the feed
 * unhealthy so the key cache re-confirms records from the database.
 */
import pg from 'pg';
import { KEY_CHANGE_CHANNEL } from '../store/dialect.js';

export type ListenerTransition = (listening: boolean, reason: string | null) => void;

export interface ListenerOptions {
  checkIntervalMs?: number;
  maxBackoffMs?: number;
}

export class PgChangeListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private checkTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private readonly listeners: ListenerTransition[] = [];
  private readonly checkIntervalMs: number;
  private readonly maxBackoffMs: number;
  listening = false;
  reconnects = 0;

  constructor(
    private readonly url: string,
    private readonly onNotify: () => void,
    options: ListenerOptions = {},
  ) {
    this.checkIntervalMs = options.checkIntervalMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 2_000;
  }

  onTransition(listener: ListenerTransition): void {
    this.listeners.push(listener);
  }

  /** Resolves once the first attempt finished, whether or not it connected (retries continue). */
  async start(): Promise<void> {
    await this.connect();
    this.checkTimer = setInterval(() => void this.check(), this.checkIntervalMs);
    this.checkTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.checkTimer) clearInterval(this.checkTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    this.listening = false;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 2_000, query_timeout: 3_000, keepAlive: true });
    client.on('error', (error) => this.lost(client, error.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    client.on('notification', () => this.onNotify());
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${KEY_CHANGE_CHANNEL}`);
    } catch (error) {
      this.lost(client, (error as Error).message);
      return;
    }
    if (this.stopped || this.client !== client) return void client.end().catch(() => {});
    this.attempt = 0;
    this.listening = true;
    for (const l of this.listeners) l(true, null);
    // Whatever committed while we were not listening is read now.
    this.onNotify();
  }

  /** A silently dead connection (no RST) shows up here as a query timeout. */
  private async check(): Promise<void> {
    const client = this.client;
    if (!client || !this.listening) return;
    try {
      await client.query('select 1');
    } catch (error) {
      this.lost(client, (error as Error).message);
    }
  }

  private lost(client: pg.Client, reason: string): void {
    if (this.stopped || this.client !== client) return;
    const wasListening = this.listening;
    this.client = null;
    this.listening = false;
    client.end().catch(() => {});
    if (wasListening) for (const l of this.listeners) l(false, reason);
    if (this.retryTimer) return;
    const delay = Math.min(this.maxBackoffMs, 100 * 2 ** this.attempt++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.reconnects++;
      void this.connect();
    }, delay);
    this.retryTimer.unref();
  }
}
