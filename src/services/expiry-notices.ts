/**
 * Sees expired keys on the request path and has their "expired" audit entry
 * written off it. One node asks the database once per key and expiry; the
 * database (KeyService.auditExpiredUse) makes it once across all nodes.
 */
import type { KeyRecord } from '../core/access.js';
import type { KeyService } from './keys.js';

const MAX_TRACKED = 10_000;

export class ExpiryNotices {
  /** keyId → the expiry already noticed; a changed expiry is noticed again. */
  private readonly noticed = new Map<string, number | null>();
  private readonly writing = new Set<Promise<unknown>>();
  failures = 0;

  constructor(private readonly keys: KeyService) {}

  notice(key: KeyRecord, sourceIp: string | null): void {
    if (this.noticed.has(key.keyId) && this.noticed.get(key.keyId) === key.expiresAt) return;
    if (this.noticed.size >= MAX_TRACKED) this.noticed.clear(); // forgetting only costs one more cheap conditional update
    this.noticed.set(key.keyId, key.expiresAt);
    const write = this.keys
      .auditExpiredUse(key.keyId, sourceIp)
      .catch(() => {
        this.failures++;
        this.noticed.delete(key.keyId); // the next use tries again
      })
      .finally(() => this.writing.delete(write));
    this.writing.add(write);
  }

  /** Resolves when every audit write started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.writing.size > 0) await Promise.all([...this.writing]);
  }
}
