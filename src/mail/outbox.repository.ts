import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { inCurrentTransaction } from '../database/transactions.js';
import { rowMapper, type Row } from '../database/row-mapper.js';
import { OutboxMail } from './outbox-mail.entity.js';

export interface NewOutboxMail {
  recipient: string;
  template: string;
  subject: string;
  textBody: string;
  htmlBody: string;
}

/** A mail a worker has claimed; `attempts` counts this attempt. */
export type ClaimedMail = Pick<
  OutboxMail,
  'id' | 'recipient' | 'template' | 'subject' | 'textBody' | 'htmlBody' | 'attempts'
>;

/** Which claim of a mail a worker holds: the attempt it counted. */
export type OutboxClaim = Pick<ClaimedMail, 'id' | 'attempts'>;

export interface OutboxBacklog {
  pending: number;
  /** Seconds since the oldest pending mail was queued; 0 when none is pending. */
  oldestPendingAgeS: number;
}

const toClaimedMail = rowMapper(OutboxMail, [
  'id',
  'recipient',
  'template',
  'subject',
  'textBody',
  'htmlBody',
  'attempts',
]);

@Injectable()
export class OutboxRepository {
  constructor(@InjectRepository(OutboxMail) private readonly mails: Repository<OutboxMail>) {}

  /** Queues a mail, in the caller's transaction when there is one. */
  async insert(mail: NewOutboxMail): Promise<void> {
    // Plain SQL: TypeORM's insert builder costs more CPU than the statement on the sign-up path.
    await inCurrentTransaction(this.mails).query(
      `INSERT INTO mail_outbox (recipient, template, subject, text_body, html_body)
       VALUES ($1, $2, $3, $4, $5)`,
      [mail.recipient, mail.template, mail.subject, mail.textBody, mail.htmlBody],
    );
  }

  /**
   * Claims up to `limit` due mails for this worker: counts the attempt and pushes the next one
   * `leaseMs` ahead, so other replicas skip them (SKIP LOCKED while claiming, the lease after) and
   * a worker that dies mid-send leaves them to be retried once the lease ends, never lost.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedMail[]> {
    const rows = rowsOf(
      await this.mails.query(
        `UPDATE mail_outbox SET attempts = attempts + 1,
           next_attempt_at = now() + make_interval(secs => $2::float8 / 1000)
         WHERE id IN (
           SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= now()
           ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING id, recipient, template, subject, text_body, html_body, attempts`,
        [limit, leaseMs],
      ),
    );
    return rows.map(toClaimedMail);
  }

  /*
   * The outcome of a send is recorded only while the claim is the worker's own: each claim counts
   * an attempt, so `attempts` names it. A worker that lost its lease (a long pause) and another
   * replica's claim since cannot overwrite that replica's outcome.
   */

  /** Sent: the bodies are emptied, they hold single-use links. */
  async markSent(claim: OutboxClaim): Promise<void> {
    await this.mails.query(
      `UPDATE mail_outbox SET status = 'sent', sent_at = now(), text_body = '', html_body = '',
         last_error = NULL
       WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [claim.id, claim.attempts],
    );
  }

  async markRetry(claim: OutboxClaim, delayMs: number, error: string): Promise<void> {
    await this.mails.query(
      `UPDATE mail_outbox SET next_attempt_at = now() + make_interval(secs => $3::float8 / 1000),
         last_error = $4
       WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [claim.id, claim.attempts, delayMs, error],
    );
  }

  /** Given up: the bodies are emptied too, nobody will send them. */
  async markFailed(claim: OutboxClaim, error: string): Promise<void> {
    await this.mails.query(
      `UPDATE mail_outbox SET status = 'failed', last_error = $3, text_body = '', html_body = ''
       WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [claim.id, claim.attempts, error],
    );
  }

  /** Gives back claims that were never tried (shutdown): due at once, the attempt uncounted. */
  async release(claims: OutboxClaim[]): Promise<void> {
    if (claims.length === 0) return;
    await this.mails.query(
      `UPDATE mail_outbox AS mail SET attempts = mail.attempts - 1, next_attempt_at = now()
       FROM unnest($1::uuid[], $2::int[]) AS claim(id, attempts)
       WHERE mail.id = claim.id AND mail.attempts = claim.attempts AND mail.status = 'pending'`,
      [claims.map((claim) => claim.id), claims.map((claim) => claim.attempts)],
    );
  }

  /**
   * Fails due mails whose every allowed attempt was claimed without an outcome (the process died
   * or was cut off mid-send each time): a mail that crashes its worker is not retried forever.
   */
  async failAbandoned(maxAttempts: number): Promise<string[]> {
    const rows = rowsOf(
      await this.mails.query(
        `UPDATE mail_outbox SET status = 'failed', text_body = '', html_body = '',
           last_error = COALESCE(last_error || '; ', '') || 'no outcome recorded for the last attempt'
         WHERE status = 'pending' AND next_attempt_at <= now() AND attempts >= $1
         RETURNING template`,
        [maxAttempts],
      ),
    );
    return rows.map((row) => String(row.template));
  }

  async backlog(): Promise<OutboxBacklog> {
    const rows: Row[] = await this.mails.query(
      `SELECT count(*)::int AS pending,
         COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest_age_s
       FROM mail_outbox WHERE status = 'pending'`,
    );
    const [row] = rows;
    return { pending: Number(row.pending), oldestPendingAgeS: Number(row.oldest_age_s) };
  }

  /** Deletes up to `limit` sent or failed mails queued more than `days` ago; returns how many. */
  async deleteFinishedOlderThan(days: number, limit: number): Promise<number> {
    const deleted = rowsOf(
      await this.mails.query(
        `DELETE FROM mail_outbox WHERE id IN (
           SELECT id FROM mail_outbox
           WHERE status IN ('sent', 'failed') AND created_at < now() - make_interval(days => $1)
           LIMIT $2)
         RETURNING 1`,
        [days, limit],
      ),
    );
    return deleted.length;
  }
}

/** `UPDATE|DELETE ... RETURNING` through TypeORM yields `[rows, count]`. */
function rowsOf(result: unknown): Row[] {
  if (Array.isArray(result) && Array.isArray(result[0])) return result[0] as Row[];
  return result as Row[];
}
