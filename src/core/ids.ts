/**
 * Prefixed, time-ordered ids (`key_`, `art_`, ...): 10 characters of millisecond
 * timestamp then 16 random characters, Crockford base32. Sorting by id is sorting
 * by creation time, which is what keyset pagination needs. Within one millisecond
 * a process increments the previous random part (as monotonic ULIDs do), so ids
 * made one after another sort in the order they were made, not at random.
 */
import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

export function encodeTime(ms: number): string {
  let out = '';
  let n = ms;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[n % 32] + out;
    n = Math.floor(n / 32);
  }
  return out;
}

function randomPart(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += CROCKFORD[bytes[i]! & 31];
  return out;
}

/** `part` + 1 in base 32, or null when it is all `z` already. */
function increment(part: string): string | null {
  const digits = [...part].map((c) => CROCKFORD.indexOf(c));
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i]! < 31) {
      digits[i]!++;
      return digits.map((d) => CROCKFORD[d]).join('');
    }
    digits[i] = 0;
  }
  return null;
}

let lastTime = -1;
let lastRandom = '';

export function newId(prefix: string, now: number = Date.now()): string {
  const next = now === lastTime ? increment(lastRandom) : null;
  lastRandom = next ?? randomPart(16);
  lastTime = now;
  return `${prefix}_${encodeTime(now)}${lastRandom}`;
}
