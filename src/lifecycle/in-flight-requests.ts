import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { finalize, type Observable } from 'rxjs';

/**
 * Counts handlers still running. A client that hangs up does not stop its handler, and its closed
 * socket no longer holds the HTTP server open: shutdown waits for this count, not only for the
 * server, before it closes the database pool under a running handler.
 */
@Injectable()
export class InFlightRequests implements NestInterceptor {
  private count = 0;
  private waiters: Array<() => void> = [];

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    this.count += 1;
    return next.handle().pipe(finalize(() => this.done()));
  }

  /** Resolves when no handler is running. */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private done(): void {
    this.count -= 1;
    if (this.count > 0) return;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
