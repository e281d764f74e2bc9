import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MAIL_CONFIG } from '../config/config-slices.js';
import { TransactionsModule } from '../database/transactions.module.js';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { createMailTransport, MailTransport } from './mail-transport.js';
import { OutboxMail } from './outbox-mail.entity.js';
import { OutboxRepository } from './outbox.repository.js';
import { OutboxService } from './outbox.service.js';
import { OutboxWorker } from './outbox.worker.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([OutboxMail]),
    MetricsModule,
    LifecycleModule,
    TransactionsModule,
  ],
  providers: [
    OutboxService,
    OutboxRepository,
    OutboxWorker,
    { provide: MailTransport, inject: [MAIL_CONFIG], useFactory: createMailTransport },
  ],
  exports: [OutboxService, OutboxRepository, OutboxWorker],
})
export class MailModule {}
