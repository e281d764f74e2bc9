import { Injectable } from '@nestjs/common';
import { Transactions } from '../database/transactions.js';
import { OutboxRepository } from './outbox.repository.js';
import { OutboxWorker } from './outbox.worker.js';
import {
  type MailTemplateData,
  type MailTemplateName,
  renderMail,
} from './templates/mail-templates.js';

export interface MailToSend<K extends MailTemplateName> {
  to: string;
  template: K;
  data: MailTemplateData[K];
}

/**
 * Queues mail: rendered now and written to the outbox in the caller's transaction, so it is sent
 * if and only if the change that caused it commits. Never sends, never waits for SMTP.
 */
@Injectable()
export class OutboxService {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly worker: OutboxWorker,
    private readonly transactions: Transactions,
  ) {}

  async enqueue<K extends MailTemplateName>(mail: MailToSend<K>): Promise<void> {
    const rendered = renderMail(mail.template, mail.data);
    await this.outbox.insert({
      recipient: mail.to,
      template: mail.template,
      subject: rendered.subject,
      textBody: rendered.text,
      htmlBody: rendered.html,
    });
    // Before the commit the worker would not see the row; after a rollback there is nothing to send.
    await this.transactions.afterCommit(() => Promise.resolve(this.worker.nudge()));
  }
}
