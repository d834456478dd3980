/**
 * A batch of usage events in the form it crosses to the writer thread: each
 * distinct string once, and the events as two typed arrays whose buffers are
 * transferred, not copied. Packing and unpacking cost a few Map reads per
 * event; the JSON round trip it replaced cost more than a third of writing the
 * rows (bench/micro.js, `usage hand-off`).
 */
import type { UsageEvent } from './writer.js';

export interface PackedBatch {
  /** The distinct strings of the batch. */
  strings: string[];
  /** Per event: keyId, secretId, method, route, requiredScopes, ip as indexes into `strings` (-1: null). */
  refs: Int32Array;
  /** Per event: ts, status, latencyMs. */
  numbers: Float64Array;
}

const REFS = 6;
const NUMBERS = 3;

/** Each distinct string once: `ref` gives a string's index in `strings` (-1 for null), adding it the first time. */
export function stringTable(): { strings: string[]; ref: (s: string | null) => number } {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const ref = (s: string | null): number => {
    if (s === null) return -1;
    let i = index.get(s);
    if (i === undefined) {
      i = strings.push(s) - 1;
      index.set(s, i);
    }
    return i;
  };
  return { strings, ref };
}

export function packBatch(batch: readonly UsageEvent[]): PackedBatch {
  const { strings, ref } = stringTable();
  const refs = new Int32Array(batch.length * REFS);
  const numbers = new Float64Array(batch.length * NUMBERS);
  for (let e = 0; e < batch.length; e++) {
    const event = batch[e]!;
    const r = e * REFS;
    refs[r] = ref(event.keyId);
    refs[r + 1] = ref(event.secretId);
    refs[r + 2] = ref(event.method);
    refs[r + 3] = ref(event.route);
    refs[r + 4] = ref(event.requiredScopes);
    refs[r + 5] = ref(event.ip);
    const n = e * NUMBERS;
    numbers[n] = event.ts;
    numbers[n + 1] = event.status;
    numbers[n + 2] = event.latencyMs;
  }
  return { strings, refs, numbers };
}

export function unpackBatch({ strings, refs, numbers }: PackedBatch): UsageEvent[] {
  const count = numbers.length / NUMBERS;
  const events = new Array<UsageEvent>(count);
  const str = (i: number) => (i < 0 ? null : strings[i]!);
  for (let e = 0; e < count; e++) {
    const r = e * REFS;
    const n = e * NUMBERS;
    events[e] = {
      keyId: strings[refs[r]!]!,
      secretId: str(refs[r + 1]!),
      ts: numbers[n]!,
      method: strings[refs[r + 2]!]!,
      route: strings[refs[r + 3]!]!,
      requiredScopes: strings[refs[r + 4]!]!,
      status: numbers[n + 1]!,
      latencyMs: numbers[n + 2]!,
      ip: str(refs[r + 5]!),
    };
  }
  return events;
}

/** The buffers to transfer with the message. */
export function transferables(packed: PackedBatch): ArrayBuffer[] {
  return [packed.refs.buffer as ArrayBuffer, packed.numbers.buffer as ArrayBuffer];
}
