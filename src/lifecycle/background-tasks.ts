import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { loggableError } from '../common/errors/loggable-error.js';

/** Tasks at once per process: each holds at most one database connection at a time. */
export const MAX_RUNNING = 32;

/**
 * Work a request starts but does not wait for (so its answer cannot reveal what the work found).
 * It runs in the request's context (log lines and audit rows keep its request id), failures are
 * logged, and shutdown waits for what is running.
 */
@Injectable()
export class BackgroundTasks implements BeforeApplicationShutdown {
  private readonly logger = new Logger('BackgroundTasks');
  private readonly running = new Set<Promise<void>>();

  /**
   * Starts `work` unless MAX_RUNNING tasks already run: past that (a flood of forgot-password
   * requests) the work is dropped and logged rather than queued for the database pool that sign-ins
   * need. Callers answer the same either way.
   */
  run(name: string, work: () => Promise<void>): boolean {
    if (this.running.size >= MAX_RUNNING) {
      this.logger.warn(
        { task: name, running: this.running.size },
        'background task dropped: too many running',
      );
      return false;
    }
    const task = work()
      .catch((error: unknown) =>
        this.logger.error({ task: name, error: loggableError(error) }, 'background task failed'),
      )
      .finally(() => this.running.delete(task));
    this.running.add(task);
    return true;
  }

  /** Resolves once everything started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.settled();
  }
}
