/**
 * A background pass run once at start and then every `intervalMs` (the
 * retention passes). An overlapping call shares the running pass; a failure is
 * counted, not thrown, and the next interval tries again.
 */
export class PeriodicJob<T> {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<T | null> | null = null;
  failures = 0;
  last: T | null = null;

  constructor(
    private readonly pass: () => Promise<T>,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  /** Runs the pass now; null when it failed. */
  runOnce(): Promise<T | null> {
    this.running ??= this.pass()
      .then((result) => (this.last = result))
      .catch(() => {
        this.failures++;
        return null;
      })
      .finally(() => (this.running = null));
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
