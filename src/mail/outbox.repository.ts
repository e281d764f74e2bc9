import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { inCurrentTransaction } from '../database/transactions.js';
import { OutboxMail } from './outbox-mail.entity.js';

export interface NewOutboxMail {
  recipient: string;
  template: string;
  subject: string;
  textBody: string;
  htmlBody: string;
}

@Injectable()
export class OutboxRepository {
  constructor(@InjectRepository(OutboxMail) private readonly mails: Repository<OutboxMail>) {}

  /** Queues a mail, in the caller's transaction when there is one. */
  async insert(mail: NewOutboxMail): Promise<void> {
    await inCurrentTransaction(this.mails).insert(mail);
  }
}
