import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { AccountTokensRepository } from '../account/account-tokens.repository.js';
import { AuditRetentionService } from '../audit/audit-retention.service.js';
import { OutboxRepository } from '../mail/outbox.repository.js';
import { loggableError } from '../common/errors/loggable-error.js';
import type { SessionLifetimes } from '../config/app-config.js';
import { AUTH_CONFIG } from '../config/config-slices.js';
import { revocationWindowS } from './session-revocation.service.js';
import { SessionsRepository } from './sessions.repository.js';

export interface PurgeReport {
  sessions: number;
  usedRefreshTokens: number;
  tombstones: number;
  /** Account history older than AUDIT_RETENTION_DAYS. */
  authEvents: number;
  /** Mailed-link tokens expired more than a week ago. */
  accountTokens: number;
  /** Sent or failed mails older than 30 days. */
  mails: number;
}

// An expired link still answers ACCOUNT_TOKEN_EXPIRED (not INVALID) for a week.
const EXPIRED_TOKEN_KEEP_S = 7 * 24 * 3600;
// Delivered and failed mails stay visible to operators (status, attempts, last error) this long.
const FINISHED_MAIL_KEEP_DAYS = 30;

// Rows per DELETE: short transactions and locks, however much has piled up.
const PURGE_BATCH_SIZE = 1000;

/**
 * Deletes what no longer serves a purpose: sessions ended (revoked, expired, or past
 * SESSION_MAX_AGE) longer ago than an access token can live, used refresh tokens older than a
 * refresh token lives (presenting one would be refused as expired anyway), old tombstones, and
 * account history (auth_events) older than AUDIT_RETENTION_DAYS, long-expired link tokens and old
 * delivered or failed mails.
 * Every replica runs it every SESSION_PURGE_INTERVAL; a PostgreSQL advisory lock lets one run at a
 * time, so the others (and the CronJob's CLI) skip.
 */
@Injectable()
export class SessionsPurgeService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SessionsPurge');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private isStopped = false;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly auditRetention: AuditRetentionService,
    private readonly accountTokens: AccountTokensRepository,
    private readonly outbox: OutboxRepository,
    @Inject(AUTH_CONFIG) private readonly config: SessionLifetimes,
  ) {}

  onApplicationBootstrap(): void {
    const intervalMs = this.config.sessionPurgeIntervalS * 1000;
    // Replicas started together spread their first runs over one interval.
    if (intervalMs > 0) this.schedule(Math.random() * intervalMs, intervalMs);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.isStopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One purge; null when another process is purging. */
  purge(): Promise<PurgeReport | null> {
    const endedS = revocationWindowS(this.config.accessTokenTtlS);
    return this.sessions.withPurgeLock(async () => ({
      sessions: await this.inBatches((limit) =>
        this.sessions.deleteEndedSessions(endedS, this.config.sessionMaxAgeS + endedS, limit),
      ),
      usedRefreshTokens: await this.inBatches((limit) =>
        this.sessions.deleteUsedRefreshTokens(this.config.refreshTokenTtlS, limit),
      ),
      tombstones: await this.inBatches((limit) => this.sessions.deleteTombstones(endedS, limit)),
      authEvents: await this.inBatches((limit) => this.auditRetention.deleteExpired(limit)),
      accountTokens: await this.inBatches((limit) =>
        this.accountTokens.deleteExpired(EXPIRED_TOKEN_KEEP_S, limit),
      ),
      mails: await this.inBatches((limit) =>
        this.outbox.deleteFinishedOlderThan(FINISHED_MAIL_KEEP_DAYS, limit),
      ),
    }));
  }

  private async inBatches(deleteBatch: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await deleteBatch(PURGE_BATCH_SIZE);
      total += deleted;
      if (deleted < PURGE_BATCH_SIZE || this.isStopped) return total;
    }
  }

  private schedule(delayMs: number, intervalMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.purge()
        .then((report) => {
          if (report === null) this.logger.debug('purge skipped: another process is purging');
          else this.logger.log(report, 'sessions purged');
        })
        .catch((error: unknown) =>
          this.logger.warn({ error: loggableError(error) }, 'session purge failed'),
        )
        .finally(() => {
          this.running = undefined;
          if (!this.isStopped) this.schedule(intervalMs, intervalMs);
        });
    }, delayMs);
    // The timer alone never keeps the process alive.
    this.timer.unref();
  }
}
