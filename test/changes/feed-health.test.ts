import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyChangeFeed } from '../../src/changes/key-change-feed.js';
import { ManualClock } from '../../src/core/clock.js';
import { type Store, openStore } from '../../src/store/db.js';
import { recordKeyChange } from '../../src/store/keys-repo.js';
import { defaultTestDatabase } from '../helpers/services.js';

describe('key change feed health', () => {
  const database = defaultTestDatabase();
  let store: Store;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await database.create();
    drop = db.drop;
    store = await openStore(db.url, { poolSize: 2 });
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  it('is healthy only while polls succeed and the LISTEN connection (when there is one) is up', async () => {
    const clock = new ManualClock();
    const signal = { listening: true };
    const seen: string[] = [];
    const feed = new KeyChangeFeed(store, { invalidateKey: (id) => seen.push(id), forgetUnknown: () => {} }, clock, { intervalMs: 60_000, signal });
    await feed.start();
    expect(feed.healthy(clock.now())).toBe(true);
    signal.listening = false;
    expect(feed.healthy(clock.now())).toBe(false);
    signal.listening = true;
    clock.advance(1_001);
    expect(feed.healthy(clock.now())).toBe(false);
    await recordKeyChange(store.db, 'key_a', 'revoked', clock.now());
    await feed.poll();
    expect(feed.healthy(clock.now())).toBe(true);
    expect(seen).toEqual(['key_a']);
    await feed.stop();
  });

  it('a poll asked for while one runs is not lost: it runs again afterwards', async () => {
    const clock = new ManualClock();
    const seen: string[] = [];
    const feed = new KeyChangeFeed(store, { invalidateKey: (id) => seen.push(id), forgetUnknown: () => {} }, clock, { intervalMs: 60_000 });
    await feed.start();
    const running = feed.poll();
    await recordKeyChange(store.db, 'key_b', 'disabled', clock.now());
    await Promise.all([running, feed.poll(), feed.poll()]);
    expect(seen).toContain('key_b');
    await feed.stop();
  });
});
