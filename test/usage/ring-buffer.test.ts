import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RingBuffer } from '../../src/usage/ring-buffer.js';

type Op = { op: 'push'; value: number } | { op: 'take'; n: number } | { op: 'restore'; n: number };

describe('RingBuffer', () => {
  it('behaves as a bounded FIFO that drops its oldest entries (model check)', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('push' as const), value: fc.integer() }),
      fc.record({ op: fc.constant('take' as const), n: fc.integer({ min: 0, max: 8 }) }),
      fc.record({ op: fc.constant('restore' as const), n: fc.integer({ min: 0, max: 8 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 200 }), (capacity, ops: Op[]) => {
        const ring = new RingBuffer<number>(capacity);
        let model: number[] = [];
        let lastTaken: number[] = [];
        for (const o of ops) {
          if (o.op === 'push') {
            const dropped = ring.push(o.value);
            model.push(o.value);
            expect(dropped).toBe(model.length > capacity);
            if (model.length > capacity) model.shift();
          } else if (o.op === 'take') {
            lastTaken = ring.take(o.n);
            expect(lastTaken).toEqual(model.slice(0, o.n));
            model = model.slice(o.n);
          } else {
            // Put back what was last taken, as a failed write does.
            const back = lastTaken.slice(0, o.n);
            const leftOut = ring.restore(back);
            const room = capacity - model.length;
            expect(leftOut).toBe(Math.max(0, back.length - room));
            model = [...back.slice(leftOut), ...model];
            lastTaken = [];
          }
          expect(ring.length).toBe(model.length);
        }
        expect(ring.take(capacity)).toEqual(model);
      }),
    );
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
  });
});
