/**
 * Requests are answered in batches, one per turn of the event loop: a request
 * read in the loop's poll phase waits (after its request id, before anything
 * else) until that phase has read every request that arrived with it, and
 * then all of them run on, one after the other, with their responses written
 * back to back (setImmediate runs right after the poll phase).
 *
 * Why: answering each request as soon as it was read interleaves reads and
 * writes, and each response then wakes its client on its own. On a VM a
 * wake-up is an interrupt to another CPU, and the kernel's loopback TCP path
 * took 12 µs per request in the bench's baseline and up to 20 µs with the
 * pipeline (perf, cpu-clock): more than our whole pipeline. Written back to
 * back, the responses wake a client that is mostly already awake. Measured
 * (bench/run.js, a 2-vCPU VM): the baseline and /v1/me both went from
 * 18,700-25,000 to 31,700-39,600 requests/s. What a request waits for is the rest of one poll phase, the
 * reading and parsing of the requests that came with it; at low load it is
 * alone in its batch and waits for nothing.
 */
import type { FastifyBaseLogger } from 'fastify';

export type Continue = () => void;

export class TurnBatches {
  private waiting: Continue[] = [];

  constructor(private readonly log: FastifyBaseLogger) {}

  /** Calls `next` once the current poll phase is over, with the others that came in it. */
  defer(next: Continue): void {
    if (this.waiting.push(next) === 1) setImmediate(this.release);
  }

  private readonly release = (): void => {
    const batch = this.waiting;
    this.waiting = [];
    for (const next of batch) {
      // Fastify catches what a hook or handler throws; this only keeps one unexpected throw from stranding the rest.
      try {
        next();
      } catch (error) {
        this.log.error({ err: error }, 'a request failed while its batch was released');
      }
    }
  };
}
