import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { OutboxService } from '../../src/mail/outbox.service.js';
import { CapturedLogs } from '../support/captured-logs.js';
import { useTestApp } from '../support/test-app.js';
import { waitUntil } from '../support/wait.js';

// A file of its own: nestjs-pino sends log lines written outside a request to the first
// application's logger in the process, so this application must be the only one.

describe('development delivery (no SMTP_URL)', () => {
  const logs = new CapturedLogs();
  const service = useTestApp({ LOG_LEVEL: 'info', OUTBOX_POLL_INTERVAL_MS: '100' }, { logs });

  it('writes each mail as an .eml file under DATA_DIR/outbox and logs its link', async () => {
    const to = 'newcomer@example.test';
    const link = 'https://app.example.test/verify-email?token=dev_token_123';
    await service.app
      .get(OutboxService)
      .enqueue({ to, template: 'verify-email', data: { link, expiresInHours: 24 } });
    let row: { id: string; status: string } | undefined;
    await waitUntil('the mail to be sent', async () => {
      [row] = await service.environment.database.query<{ id: string; status: string }>(
        'SELECT id, status FROM mail_outbox WHERE recipient = $1',
        [to],
      );
      return row?.status === 'sent';
    });

    const outboxDir = path.join(service.environment.dataDir, 'outbox');
    const files = await readdir(outboxDir);
    const file = files.find((name) => name.endsWith(`-${row!.id}.eml`));
    expect(file).toBeDefined();
    const eml = await readFile(path.join(outboxDir, file!), 'utf8');
    expect(eml).toContain(`Message-ID: <${row!.id}@localhost>`);
    expect(eml).toContain(`To: ${to}`);
    expect(eml).toContain('Subject: Verify your email address');
    expect(eml).toMatch(/Content-Type: text\/plain/);
    expect(eml).toMatch(/Content-Type: text\/html/);
    expect(eml).toContain(link);

    const line = logs.lines().find((entry) => entry.context === 'MailDelivery');
    expect(line).toBeDefined();
    expect(line!.level).toBe('info');
    expect(line!.msg).toContain(link);
    expect(line!.msg).toContain(path.join(outboxDir, file!));
    expect(line).toMatchObject({ to, subject: 'Verify your email address', links: [link] });
  });
});
