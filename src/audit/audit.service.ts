import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { loggableError } from '../common/errors/loggable-error.js';
import { storableClientIp } from '../common/http/client-address.js';
import { requestContextStorage } from '../common/http/request-context.js';
import { isInTransaction } from '../database/transactions.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AuditErrors } from './audit.errors.js';
import type { AuthEvent, AuthEventDetails, AuthEventType } from './auth-event.entity.js';
import { decodeCursor, encodeCursor } from './auth-events-page.cursor.js';
import { AuthEventsRepository, type NewAuthEvent } from './auth-events.repository.js';

export interface AuthEventRecord {
  userId: string;
  type: AuthEventType;
  /** The admin who acted, when not the account's owner. */
  actorId?: string;
  /** Small, never a secret (no password, token or hash). */
  details?: AuthEventDetails;
}

export interface AuthEventsPageRequest {
  userId: string;
  limit: number;
  cursor?: string;
}

export interface AuthEventsPage {
  events: AuthEvent[];
  nextCursor: string | null;
}

const USER_AGENT_MAX_LENGTH = 512;
// Buffered events are written together after this long, or as soon as this many wait: one
// multi-row INSERT instead of a round trip on every sign-in, refresh and sign-out.
const FLUSH_INTERVAL_MS = 200;
const FLUSH_BATCH_SIZE = 100;
// While PostgreSQL is away, memory stays bounded: further events are dropped (and counted).
const MAX_BUFFERED = 10_000;

/**
 * Records what happened to an account, with the client address, user agent and request id of the
 * request that caused it (read from the request context). Inside `Transactions.run` the event is
 * written in that transaction and commits with the change. Elsewhere (sign-in, refresh, sign-out)
 * it is buffered and written in batches: a failed batch is retried once at the next flush, then
 * dropped and counted (`audit_events_dropped_total`); a request never fails because of it. The
 * buffer is flushed on shutdown; a crash loses at most the last FLUSH_INTERVAL_MS of events.
 */
@Injectable()
export class AuditService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private pending: NewAuthEvent[] = [];
  private failedOnce: NewAuthEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private isStopped = false;
  private isOverflowing = false;

  constructor(
    private readonly events: AuthEventsRepository,
    private readonly metrics: MetricsService,
  ) {}

  async record(event: AuthEventRecord): Promise<void> {
    const row = this.toRow(event);
    if (isInTransaction()) {
      await this.events.insert([row]);
      this.metrics.recordAuditEvent(row.type);
      return;
    }
    if (this.pending.length + this.failedOnce.length >= MAX_BUFFERED) {
      this.overflowed();
      return;
    }
    this.pending.push(row);
    this.metrics.recordAuditEvent(row.type);
    if (this.pending.length >= FLUSH_BATCH_SIZE || this.isStopped) this.flushDetached();
    else this.scheduleFlush();
  }

  /**
   * Writes what this replica has buffered so far (and retries a batch that failed once); never
   * rejects. Other replicas' buffers are written within FLUSH_INTERVAL_MS of their events.
   */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeBuffered());
    return this.flushing;
  }

  /** The user's events, newest first; this replica's buffer is written first. */
  async listForUser(request: AuthEventsPageRequest): Promise<AuthEventsPage> {
    let after: { createdAt: Date; id: string } | undefined;
    if (request.cursor !== undefined) {
      after = decodeCursor(request.cursor);
      if (!after) throw AuditErrors.invalidCursor();
    }
    await this.flush();
    const rows = await this.events.findPage({
      userId: request.userId,
      limit: request.limit + 1,
      after,
    });
    const events = rows.slice(0, request.limit);
    const last = events.at(-1);
    const nextCursor =
      rows.length > request.limit && last
        ? encodeCursor({ createdAt: last.createdAt, id: last.id })
        : null;
    return { events, nextCursor };
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.isStopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    // A batch that just failed gets its one retry now rather than never.
    if (this.failedOnce.length > 0) await this.flush();
  }

  private toRow(event: AuthEventRecord): NewAuthEvent {
    const context = requestContextStorage.getStore();
    const client = context?.client();
    return {
      userId: event.userId,
      type: event.type,
      // The time of the event, not of the flush: the order of events is the order they happened.
      createdAt: new Date(),
      actorId: event.actorId ?? null,
      ip: storableClientIp(client?.ip),
      userAgent: client?.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
      requestId: context?.requestId ?? null,
      details: event.details ?? {},
    };
  }

  private scheduleFlush(): void {
    if (this.timer || this.isStopped) return;
    this.timer = setTimeout(() => this.flushDetached(), FLUSH_INTERVAL_MS);
    // The timer alone never keeps the process alive; shutdown flushes.
    this.timer.unref();
  }

  /** A flush that belongs to no request: its log lines carry no request's id. */
  private flushDetached(): void {
    requestContextStorage.exit(() => void this.flush());
  }

  private async writeBuffered(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const retries = this.failedOnce;
    const fresh = this.pending;
    this.failedOnce = [];
    this.pending = [];
    for (const batch of batchesOf(retries)) {
      if (!(await this.tryInsert(batch))) {
        this.metrics.recordAuditEventsDropped(batch.length);
        this.logger.error({ events: batch.length }, 'audit events dropped after a retry');
      }
    }
    for (const batch of batchesOf(fresh)) {
      if (!(await this.tryInsert(batch))) this.failedOnce.push(...batch);
    }
    if (this.failedOnce.length > 0 || this.pending.length > 0) this.scheduleFlush();
  }

  private async tryInsert(batch: NewAuthEvent[]): Promise<boolean> {
    try {
      await this.events.insert(batch);
      this.isOverflowing = false;
      return true;
    } catch (error) {
      this.logger.warn(
        { error: loggableError(error), events: batch.length },
        'audit events not written',
      );
      return false;
    }
  }

  private overflowed(): void {
    this.metrics.recordAuditEventsDropped(1);
    // One line per outage, not one per event.
    if (this.isOverflowing) return;
    this.isOverflowing = true;
    this.logger.error({ buffered: MAX_BUFFERED }, 'audit buffer full: events dropped');
  }
}

function batchesOf(rows: NewAuthEvent[]): NewAuthEvent[][] {
  const batches: NewAuthEvent[][] = [];
  for (let start = 0; start < rows.length; start += FLUSH_BATCH_SIZE) {
    batches.push(rows.slice(start, start + FLUSH_BATCH_SIZE));
  }
  return batches;
}
