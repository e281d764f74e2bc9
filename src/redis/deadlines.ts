export class DeadlineExceededError extends Error {
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`);
    this.name = 'DeadlineExceededError';
  }
}

interface Pending {
  expiresAt: number;
  reject: (error: Error) => void;
}

/**
 * Bounds operations to a fixed time with one coarse shared timer. node-redis's per-command
 * timeout creates an AbortSignal and a timer per command, a measurable share of a cached request;
 * here an operation costs one Set entry. All operations share one duration, so the Set (in
 * insertion order) is also in expiry order and a sweep stops at the first live entry.
 */
export class Deadlines {
  private readonly pending = new Set<Pending>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {}

  track<T>(operation: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { expiresAt: Date.now() + this.ms, reject };
      this.pending.add(entry);
      this.sweeper ??= setInterval(
        () => this.sweep(),
        Math.max(5, Math.floor(this.ms / 5)),
      ).unref();
      operation.then(
        (value) => {
          this.pending.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          this.pending.delete(entry);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private sweep(): void {
    const now = Date.now();
    for (const entry of this.pending) {
      if (entry.expiresAt > now) break;
      this.pending.delete(entry);
      entry.reject(new DeadlineExceededError(this.ms));
    }
    if (this.pending.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}
