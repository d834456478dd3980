/**
 * A fixed-capacity FIFO over one preallocated array: O(1) push and shift, no
 * copying, and when full the oldest entry is overwritten (the caller counts it).
 */
export class RingBuffer<T> {
  private readonly slots: (T | undefined)[];
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.slots = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Adds at the young end. Returns true when the oldest entry had to be overwritten to make room. */
  push(item: T): boolean {
    const tail = (this.head + this.size) % this.capacity;
    this.slots[tail] = item;
    if (this.size < this.capacity) {
      this.size++;
      return false;
    }
    this.head = (this.head + 1) % this.capacity;
    return true;
  }

  /** Removes and returns up to `n` of the oldest entries, oldest first. */
  take(n: number): T[] {
    const count = Math.min(n, this.size);
    const out = new Array<T>(count);
    for (let i = 0; i < count; i++) {
      out[i] = this.slots[this.head] as T;
      this.slots[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
    }
    this.size -= count;
    return out;
  }

  /**
   * Puts entries (oldest first) back at the old end, as after a failed write.
   * They are older than everything buffered, so when there is not room for all,
   * the oldest of them are the ones left out. Returns how many were left out.
   */
  restore(items: readonly T[]): number {
    const room = Math.min(this.capacity - this.size, items.length);
    for (let i = items.length - 1; i >= items.length - room; i--) {
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.slots[this.head] = items[i];
    }
    this.size += room;
    return items.length - room;
  }
}
