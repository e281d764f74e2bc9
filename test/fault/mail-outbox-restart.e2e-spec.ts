import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { buildUser } from '../factories/user.factory.js';
import type { BuiltService } from '../support/built-service.js';
import { linkIn, SmtpCatcher } from '../support/smtp-catcher.js';
import { type TestEnvironment, useTestEnvironment } from '../support/test-app.js';
import { waitUntil } from '../support/wait.js';

interface OutboxRow {
  id: string;
  recipient: string;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  is_due: boolean;
}

const MAIL_DOMAIN = 'mail.example.test';

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const quietly = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rowsTo(environment: TestEnvironment, recipients: string[]): Promise<OutboxRow[]> {
  return environment.database.query<OutboxRow>(
    `SELECT id, recipient, status, attempts, next_attempt_at, last_error,
       next_attempt_at <= now() AS is_due
     FROM mail_outbox WHERE recipient = ANY($1::text[]) ORDER BY recipient`,
    [recipients],
  );
}

async function rowTo(environment: TestEnvironment, recipient: string): Promise<OutboxRow> {
  const rows = await rowsTo(environment, [recipient]);
  expect(rows).toHaveLength(1);
  return rows[0];
}

/** Queues mails straight into the table, as another replica's transactions would. */
async function queueMails(environment: TestEnvironment, what: string, count: number) {
  const tag = randomBytes(4).toString('hex');
  const recipients = Array.from({ length: count }, (_, index) => `${what}-${index}-${tag}@ex.test`);
  await environment.database.query(
    `INSERT INTO mail_outbox (recipient, template, subject, text_body, html_body)
     SELECT r, 'verify-email', 'Verify your email address', 'text', '<p>html</p>'
     FROM unnest($1::text[]) AS r`,
    [recipients],
  );
  return recipients;
}

async function sentCount(service: BuiltService): Promise<number> {
  const exposition = await (await fetch(service.url('/metrics'))).text();
  const sample = 'mail_sent_total{template="verify-email"} ';
  const line = exposition.split('\n').find((candidate) => candidate.startsWith(sample));
  return line ? Number(line.slice(sample.length)) : 0;
}

describe('the outbox of the built service across SMTP outages, SIGTERM and restarts', () => {
  const scope = useTestEnvironment();
  const catchers: SmtpCatcher[] = [];
  afterAll(async () => {
    await Promise.all(catchers.map((catcher) => catcher.stop()));
  });

  const newCatcher = async (options?: { isListening: boolean }) => {
    const catcher = await SmtpCatcher.start(options);
    catchers.push(catcher);
    return catcher;
  };
  const startService = (catcher: SmtpCatcher, overrides: Record<string, string> = {}) =>
    scope.environment.startBuiltService({
      LOG_LEVEL: 'warn',
      SMTP_URL: catcher.url,
      MAIL_FROM: `Accounts <accounts@${MAIL_DOMAIN}>`,
      APP_URL: 'https://app.example.test',
      OUTBOX_POLL_INTERVAL_MS: '100',
      OUTBOX_RETRY_BASE_MS: '300',
      OUTBOX_MAX_ATTEMPTS: '50',
      // A drain as in production: the worker stops claiming at SIGTERM, not when the app closes.
      SHUTDOWN_DRAIN_MS: '200',
      ...overrides,
    });

  it('delivers a verification mail queued while SMTP is down exactly once after SIGTERM, the return of SMTP and a restart', async () => {
    const catcher = await newCatcher({ isListening: false });
    const first = await startService(catcher);
    const user = buildUser();
    const email = user.email.toLowerCase();
    expect((await fetch(first.url('/api/v1/auth/register'), json(user))).status).toBe(201);

    await waitUntil('two failed attempts', async () => {
      const row = await rowTo(scope.environment, email);
      return row.attempts >= 2 && row.last_error !== null;
    });
    const down = await rowTo(scope.environment, email);
    expect(down.status).toBe('pending');
    expect(down.last_error).toMatch(/ECONNECTION|ECONNREFUSED/);

    expect(await first.stop()).toEqual({ code: 0, signal: null });
    const afterExit = await rowTo(scope.environment, email);
    expect(afterExit.status).toBe('pending');
    expect(afterExit.attempts).toBeGreaterThanOrEqual(down.attempts);

    await catcher.start();
    const second = await startService(catcher);
    const mail = await catcher.waitForMail(email);
    await waitUntil(
      'the mail to be marked sent',
      async () => (await rowTo(scope.environment, email)).status === 'sent',
    );
    const sent = await rowTo(scope.environment, email);
    expect(sent.attempts).toBe(afterExit.attempts + 1);
    expect(mail.messageId).toBe(`<${sent.id}@${MAIL_DOMAIN}>`);

    // Several polls later: nothing sent again.
    await quietly(1000);
    expect(catcher.messages).toHaveLength(1);
    const verified = await fetch(
      second.url('/api/v1/auth/verify-email'),
      json({ token: linkIn(mail).token }),
    );
    expect(verified.status).toBeLessThan(300);
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  });

  it('lets sends in flight at SIGTERM finish and be marked sent, hands back the claimed mails not yet tried, and sends each once after a restart', async () => {
    const catcher = await newCatcher();
    catcher.replyDelayMs = 1500;
    const first = await startService(catcher);
    const recipients = await queueMails(scope.environment, 'in-flight', 10);

    await waitUntil('a send in flight', () => Promise.resolve(catcher.pendingReplies > 0));
    expect(await first.stop()).toEqual({ code: 0, signal: null });

    // What the server accepted before the exit is marked sent; the rest is due again at once,
    // its claim not counted as an attempt.
    const atExit = await rowsTo(scope.environment, recipients);
    const accepted = catcher.messages.map((mail) => mail.to[0]).sort();
    expect(accepted.length).toBeGreaterThan(0);
    expect(atExit.filter((row) => row.status === 'sent').map((row) => row.recipient)).toEqual(
      accepted,
    );
    const handedBack = atExit.filter((row) => row.status !== 'sent');
    expect(handedBack.length).toBeGreaterThan(0);
    for (const row of handedBack) expect(row).toMatchObject({ status: 'pending', attempts: 0 });
    expect(handedBack.every((row) => row.is_due)).toBe(true);

    catcher.replyDelayMs = 0;
    const second = await startService(catcher);
    await waitUntil('every mail', () => Promise.resolve(catcher.messages.length >= 10));
    await quietly(1000);
    expect(catcher.messages.map((mail) => mail.to[0]).sort()).toEqual(recipients.sort());
    const rows = await rowsTo(scope.environment, recipients);
    for (const row of rows) expect(row).toMatchObject({ status: 'sent', attempts: 1 });
    expect(new Set(catcher.messages.map((mail) => mail.messageId))).toEqual(
      new Set(rows.map((row) => `<${row.id}@${MAIL_DOMAIN}>`)),
    );
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  });

  it('cuts off a send still running near the shutdown deadline, exits 0 and retries it: a server that had kept the message gets it twice, under one Message-ID', async () => {
    const catcher = await newCatcher();
    catcher.replyDelayMs = 3500;
    const first = await startService(catcher, { SHUTDOWN_TIMEOUT_MS: '2500' });
    const [recipient] = await queueMails(scope.environment, 'cut-off', 1);

    await waitUntil('a send in flight', () => Promise.resolve(catcher.pendingReplies > 0));
    expect(await first.stop()).toEqual({ code: 0, signal: null });
    expect(first.output).toMatch(/sends still running after \d+ ms of shutdown: aborted/);
    // Retried after the backoff, not after the claim's five-minute lease.
    const atExit = await rowTo(scope.environment, recipient);
    expect(atExit).toMatchObject({ status: 'pending', attempts: 1 });
    expect(atExit.last_error).toMatch(/abort/i);
    expect(atExit.next_attempt_at.getTime() - Date.now()).toBeLessThan(60_000);

    catcher.replyDelayMs = 0;
    const second = await startService(catcher);
    await catcher.waitForMail(recipient, 2);
    await waitUntil(
      'the mail to be marked sent',
      async () => (await rowTo(scope.environment, recipient)).status === 'sent',
    );
    const sent = await rowTo(scope.environment, recipient);
    expect(catcher.mailsTo(recipient).map((mail) => mail.messageId)).toEqual([
      `<${sent.id}@${MAIL_DOMAIN}>`,
      `<${sent.id}@${MAIL_DOMAIN}>`,
    ]);
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  });

  it('sends each of 60 mails exactly once with two service processes polling one database', async () => {
    const catcher = await newCatcher();
    // A slow server keeps both workers' claims open at the same time.
    catcher.replyDelayMs = 20;
    const [replicaA, replicaB] = await Promise.all([startService(catcher), startService(catcher)]);
    const recipients = await queueMails(scope.environment, 'replica', 60);

    await waitUntil('60 mails', () => Promise.resolve(catcher.messages.length >= 60), 20_000);
    await quietly(1000);
    expect(catcher.messages.map((mail) => mail.to[0]).sort()).toEqual(recipients.sort());
    const rows = await rowsTo(scope.environment, recipients);
    expect(new Set(catcher.messages.map((mail) => mail.messageId)).size).toBe(60);
    for (const row of rows) expect(row).toMatchObject({ status: 'sent', attempts: 1 });
    const [sentByA, sentByB] = await Promise.all([sentCount(replicaA), sentCount(replicaB)]);
    expect(sentByA + sentByB).toBe(60);
    expect(sentByA).toBeGreaterThan(0);
    expect(sentByB).toBeGreaterThan(0);
  });
});
