// Purges ended sessions, old used refresh tokens, tombstones and account history older than
// AUDIT_RETENTION_DAYS once, on the configured database:
//   npm run sessions:purge                       (in the image: node dist/bundle/sessions-purge.cli.js)
// What the replicas' timers do, for a Kubernetes CronJob. It reads the database settings, the
// token and session lifetimes and AUDIT_RETENTION_DAYS only: no signing key, no Redis. Exits 0
// also when another purge holds the lock (that one does the work).
import 'reflect-metadata';
import { AuditRetentionService } from '../audit/audit-retention.service.js';
import { AuthEvent } from '../audit/auth-event.entity.js';
import { AuthEventsRepository } from '../audit/auth-events.repository.js';
import { exitWith } from '../common/cli/exit-with.js';
import { readProcessEnvironment } from '../config/app-config.js';
import { loadSessionsPurgeConfig } from '../config/sessions-purge-config.js';
import { openCliDataSource } from '../database/cli-data-source.js';
import { AccountToken } from '../account/account-token.entity.js';
import { AccountTokensRepository } from '../account/account-tokens.repository.js';
import { OutboxMail } from '../mail/outbox-mail.entity.js';
import { OutboxRepository } from '../mail/outbox.repository.js';
import { SessionsPurgeService } from './sessions-purge.service.js';
import { SessionsRepository } from './sessions.repository.js';

async function main(): Promise<number> {
  const config = loadSessionsPurgeConfig(readProcessEnvironment());
  // One connection holds the lock, one deletes.
  const { dataSource, close } = await openCliDataSource({
    dataDir: config.dataDir,
    database: { ...config.database, poolSize: 2 },
  });
  try {
    const auditRetention = new AuditRetentionService(
      new AuthEventsRepository(dataSource.getRepository(AuthEvent)),
      config.audit,
    );
    const purge = new SessionsPurgeService(
      new SessionsRepository(dataSource, dataSource),
      auditRetention,
      new AccountTokensRepository(dataSource.getRepository(AccountToken)),
      new OutboxRepository(dataSource.getRepository(OutboxMail)),
      config.sessions,
    );
    const report = await purge.purge();
    console.log(
      report
        ? `Purged ${report.sessions} sessions, ${report.usedRefreshTokens} used refresh tokens, ${report.tombstones} tombstones, ${report.authEvents} auth events, ${report.accountTokens} link tokens, ${report.mails} mails.`
        : 'Another purge is running; nothing to do.',
    );
    return 0;
  } finally {
    await close();
  }
}

exitWith(main());
