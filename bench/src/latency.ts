/** Durations of one kind of call, in milliseconds, and their percentiles. */
export class Latencies {
  private readonly samples: number[] = [];
  private sorted: number[] | null = null;

  get count(): number {
    return this.samples.length;
  }

  record(ms: number): void {
    this.samples.push(ms);
    this.sorted = null;
  }

  /** Times `call` and records its duration; the result is passed through. */
  async time<T>(call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await call();
    this.record(performance.now() - started);
    return result;
  }

  /** The nearest-rank percentile, `p` in (0, 100]; NaN without samples. */
  percentile(p: number): number {
    if (this.samples.length === 0) return Number.NaN;
    this.sorted ??= [...this.samples].sort((a, b) => a - b);
    const rank = Math.ceil((p / 100) * this.sorted.length);
    return this.sorted[Math.min(this.sorted.length, Math.max(1, rank)) - 1]!;
  }
}
