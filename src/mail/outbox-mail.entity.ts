import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const OUTBOX_STATUSES = ['pending', 'sent', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/**
 * A mail waiting to be sent, written in the transaction of the change that caused it. Workers in
 * every replica claim due rows with FOR UPDATE SKIP LOCKED; a claim pushes `next_attempt_at` past
 * the send, so a worker that dies mid-send leaves the row to be retried, never lost. Bodies are
 * emptied once sent: they hold single-use links.
 */
@Entity('mail_outbox')
@Index('mail_outbox_due_idx', ['nextAttemptAt'], { where: `"status" = 'pending'` })
@Index('mail_outbox_created_at_idx', ['createdAt'])
@Check('mail_outbox_status_check', `"status" IN ('pending', 'sent', 'failed')`)
export class OutboxMail {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 254 })
  recipient: string;

  /** The template's name, for logs and metrics. */
  @Column({ type: 'varchar', length: 64 })
  template: string;

  @Column({ type: 'text' })
  subject: string;

  @Column({ name: 'text_body', type: 'text' })
  textBody: string;

  @Column({ name: 'html_body', type: 'text' })
  htmlBody: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: OutboxStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({
    name: 'next_attempt_at',
    type: 'timestamptz',
    precision: 3,
    default: () => 'CURRENT_TIMESTAMP',
  })
  nextAttemptAt: Date;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', precision: 3, nullable: true })
  sentAt: Date | null;
}
