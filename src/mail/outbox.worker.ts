import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { loggableError } from '../common/errors/loggable-error.js';
import type { MailConfig } from '../config/app-config.js';
import { MAIL_CONFIG } from '../config/config-slices.js';
import { ShutdownState } from '../lifecycle/shutdown-state.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { MailTransport, SMTP_POOL_CONNECTIONS } from './mail-transport.js';
import { type ClaimedMail, OutboxRepository } from './outbox.repository.js';
import { retryDelayMs } from './retry-delay.js';

const BATCH_SIZE = 8;
/** Sends at once; each lane sends its share of a batch one after the other. */
const CONCURRENCY = SMTP_POOL_CONNECTIONS;
// A claim outlives the slowest batch (two sends per lane, each cut off by the SMTP timeouts), so
// a live worker's claim does not expire under it and let another replica send the mail again.
const CLAIM_LEASE_MS = 5 * 60_000;
/**
 * Enqueue (after its transaction committed) wakes the worker this long after: under load, the
 * mails of many requests go in one round (one claim) instead of one round each.
 */
const NUDGE_DELAY_MS = 250;
/** Runs a function outside every AsyncLocalStorage context (captured at load, where none is set). */
const outsideAnyContext = AsyncLocalStorage.snapshot();
/** How often the backlog gauges are refreshed. */
const BACKLOG_INTERVAL_MS = 10_000;
/** Shutdown without a signal (no deadline) waits this long for sends in flight. */
const SHUTDOWN_WAIT_MS = 10_000;
/**
 * Left of the shutdown deadline once sends are waited for: time for the sends cut off to record
 * their retry (ABORT_WAIT_MS) and for the pools to close before the process would exit 1.
 */
const SHUTDOWN_MARGIN_MS = 1_500;
const ABORT_WAIT_MS = 500;

/** How long shutdown waits for sends in flight: until shortly before the process's deadline. */
export function inFlightWaitMs(deadlineAt: number | undefined, now: number): number {
  if (deadlineAt === undefined) return SHUTDOWN_WAIT_MS;
  return Math.max(0, deadlineAt - now - SHUTDOWN_MARGIN_MS);
}

/** Whether `work` settles within `ms`. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timeout: NodeJS.Timeout | undefined;
  const isSettled = await Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timeout = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timeout);
  return isSettled;
}

/** Why a send failed, as stored in `last_error` and logged (addresses masked in logs). */
function describeFailure(error: unknown): { message: string; isPermanent: boolean; code?: string } {
  const details = error as { responseCode?: unknown; code?: unknown; response?: unknown };
  const responseCode = typeof details.responseCode === 'number' ? details.responseCode : undefined;
  const code = typeof details.code === 'string' ? details.code : undefined;
  const reason = error instanceof Error ? error.message : String(error);
  return {
    message: [code, responseCode, reason].filter((part) => part !== undefined).join(' '),
    // 5xx: the server refuses for good (unknown mailbox, policy); retrying repeats the refusal.
    isPermanent: responseCode !== undefined && responseCode >= 500 && responseCode < 600,
    code,
  };
}

const maskAddresses = (text: string): string =>
  text.replace(/[^\s<>@"']+@[^\s<>"']+/g, '<address>');

/**
 * Sends what the outbox holds. Every replica runs one: it polls every OUTBOX_POLL_INTERVAL_MS
 * (and shortly after an enqueue), claims a batch of due mails, sends them and records the outcome.
 * Temporary failures are retried with exponential backoff; a 5xx rejection or the last allowed
 * attempt marks the mail failed. From SIGTERM on it claims nothing more, gives back what it claimed
 * but has not tried, and waits for sends in flight until shortly before the shutdown deadline.
 */
@Injectable()
export class OutboxWorker
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('OutboxWorker');
  private timer: NodeJS.Timeout | undefined;
  private timerDueAt = 0;
  private running: Promise<void> | undefined;
  private isRunAgainDue = false;
  private isStopped = false;
  private backlogReadAt = 0;
  private readonly sends = new AbortController();

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly transport: MailTransport,
    private readonly metrics: MetricsService,
    private readonly shutdown: ShutdownState,
    @Inject(MAIL_CONFIG) private readonly config: MailConfig,
  ) {}

  /** SIGTERM came (the drain has begun) or the application is closing: start nothing new. */
  private get isStopping(): boolean {
    return this.isStopped || this.shutdown.isShuttingDown;
  }

  onApplicationBootstrap(): void {
    this.wake(0);
  }

  /** A mail was queued: send it soon rather than at the next poll. */
  nudge(): void {
    this.wake(NUDGE_DELAY_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.isStopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running) return;
    const waitMs = inFlightWaitMs(this.shutdown.deadlineAt, Date.now());
    if (await settlesWithin(this.running, waitMs)) return;
    // The server may hold a message whose reply never came: retried, it can arrive twice.
    this.logger.warn(`sends still running after ${waitMs} ms of shutdown: aborted, to be retried`);
    this.sends.abort();
    await settlesWithin(this.running, ABORT_WAIT_MS);
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }

  /** Runs claim-and-send rounds until nothing is due (tests, and each timer tick). */
  async runOnce(): Promise<void> {
    await this.refreshBacklog();
    for (const template of await this.outbox.failAbandoned(this.config.maxAttempts)) {
      this.metrics.recordMailFailed(template);
      this.logger.error({ template }, 'mail failed: no outcome recorded for its last attempt');
    }
    while (!this.isStopping) {
      const batch = await this.outbox.claimDue(BATCH_SIZE, CLAIM_LEASE_MS);
      if (batch.length === 0) return;
      await this.sendBatch(batch);
      if (batch.length < BATCH_SIZE) return;
    }
  }

  private wake(delayMs: number): void {
    if (this.isStopping) return;
    const dueAt = Date.now() + delayMs;
    if (this.timer !== undefined && this.timerDueAt <= dueAt) return;
    clearTimeout(this.timer);
    this.timerDueAt = dueAt;
    // Not in the context of the request whose mail woke it: its rounds would log that request's
    // id and keep the request (and its transaction's manager) alive from round to round.
    this.timer = outsideAnyContext(() =>
      setTimeout(() => {
        this.timer = undefined;
        this.tick();
      }, delayMs),
    );
    // The timer alone never keeps the process alive.
    this.timer.unref();
  }

  private tick(): void {
    if (this.running) {
      this.isRunAgainDue = true;
      return;
    }
    this.running = this.runOnce()
      .catch((error: unknown) =>
        this.logger.warn({ error: loggableError(error) }, 'outbox round failed'),
      )
      .finally(() => {
        this.running = undefined;
        const isRunAgainDue = this.isRunAgainDue;
        this.isRunAgainDue = false;
        this.wake(isRunAgainDue ? 0 : this.config.pollIntervalMs);
      });
  }

  private async sendBatch(batch: ClaimedMail[]): Promise<void> {
    const queue = [...batch];
    const lane = async (): Promise<void> => {
      for (let mail = queue.shift(); mail; mail = queue.shift()) {
        if (this.isStopping) {
          queue.unshift(mail);
          return;
        }
        await this.deliver(mail).catch((error: unknown) =>
          // The outcome could not be recorded (database): the lease brings the mail back.
          this.logger.error(
            { mailId: mail.id, error: loggableError(error) },
            'mail outcome not recorded: retried after its lease',
          ),
        );
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    // Shutdown came before these were tried: give them back rather than wait out the lease.
    await this.outbox.release(queue);
  }

  private async deliver(mail: ClaimedMail): Promise<void> {
    try {
      await this.transport.send(
        {
          id: mail.id,
          to: mail.recipient,
          subject: mail.subject,
          text: mail.textBody,
          html: mail.htmlBody,
        },
        this.sends.signal,
      );
    } catch (error: unknown) {
      await this.recordFailure(mail, error);
      return;
    }
    // Sent: recording it is retried once, or the lease would send it again.
    await this.outbox.markSent(mail).catch(() => this.outbox.markSent(mail));
    this.metrics.recordMailSent(mail.template);
    this.logger.debug({ mailId: mail.id, template: mail.template }, 'mail sent');
  }

  private async recordFailure(mail: ClaimedMail, error: unknown): Promise<void> {
    const failure = describeFailure(error);
    const logged = {
      mailId: mail.id,
      template: mail.template,
      attempts: mail.attempts,
      error: maskAddresses(failure.message),
    };
    if (failure.isPermanent || mail.attempts >= this.config.maxAttempts) {
      await this.outbox.markFailed(mail, failure.message);
      this.metrics.recordMailFailed(mail.template);
      this.logger.error(
        logged,
        failure.isPermanent
          ? 'mail rejected by the SMTP server: failed'
          : 'mail failed: no attempts left',
      );
      return;
    }
    const delayMs = retryDelayMs(mail.attempts, this.config.retryBaseMs);
    await this.outbox.markRetry(mail, delayMs, failure.message);
    this.metrics.recordMailSendError();
    this.logger.warn({ ...logged, retryInMs: delayMs }, 'mail not sent: will retry');
  }

  private async refreshBacklog(): Promise<void> {
    if (Date.now() - this.backlogReadAt < BACKLOG_INTERVAL_MS) return;
    this.backlogReadAt = Date.now();
    const backlog = await this.outbox.backlog();
    this.metrics.setOutboxBacklog(backlog.pending, backlog.oldestPendingAgeS);
  }
}
