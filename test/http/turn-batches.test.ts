/**
 * Requests read in one poll phase go on together after it: none before the
 * phase is over, all of them in arrival order, a throwing one does not strand
 * the others, and one deferred while a batch runs goes on in the next turn.
 */
import { describe, expect, it, vi } from 'vitest';
import type { FastifyBaseLogger } from 'fastify';
import { TurnBatches } from '../../src/http/turn-batches.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const logger = () => ({ error: vi.fn() }) as unknown as FastifyBaseLogger & { error: ReturnType<typeof vi.fn> };

describe('TurnBatches', () => {
  it('holds requests until the poll phase is over, then runs them all in arrival order', async () => {
    const batches = new TurnBatches(logger());
    const ran: number[] = [];
    for (let i = 0; i < 5; i++) batches.defer(() => ran.push(i));
    expect(ran).toEqual([]);
    await turn();
    expect(ran).toEqual([0, 1, 2, 3, 4]);
  });

  it('one that throws is logged and the rest of its batch still runs', async () => {
    const log = logger();
    const batches = new TurnBatches(log);
    const ran: string[] = [];
    batches.defer(() => ran.push('a'));
    batches.defer(() => {
      throw new Error('boom');
    });
    batches.defer(() => ran.push('c'));
    await turn();
    expect(ran).toEqual(['a', 'c']);
    expect(log.error).toHaveBeenCalledTimes(1);
  });

  it('a request deferred while a batch runs goes on in the next turn, not never', async () => {
    const batches = new TurnBatches(logger());
    const ran: string[] = [];
    batches.defer(() => {
      ran.push('first');
      batches.defer(() => ran.push('later'));
    });
    await turn();
    expect(ran).toEqual(['first']);
    await turn();
    expect(ran).toEqual(['first', 'later']);
  });
});
