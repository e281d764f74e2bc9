import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { OutboxRepository } from '../../src/mail/outbox.repository.js';
import { OutboxService } from '../../src/mail/outbox.service.js';
import { linkIn, SmtpCatcher } from '../support/smtp-catcher.js';
import { type RunningApp, type TestEnvironment, useTestApp } from '../support/test-app.js';
import { waitUntil } from '../support/wait.js';

interface OutboxRow {
  id: string;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  text_body: string;
  html_body: string;
  sent_at: Date | null;
}

let sequence = 0;
const newRecipient = (what: string) => `${what}-${Date.now()}-${(sequence += 1)}@example.test`;

async function enqueueVerification(app: RunningApp, to: string): Promise<string> {
  const link = `https://app.example.test/verify-email?token=tok${sequence}_${Date.now()}`;
  await app.app
    .get(OutboxService)
    .enqueue({ to, template: 'verify-email', data: { link, expiresInHours: 24 } });
  return link;
}

async function rowTo(environment: TestEnvironment, recipient: string): Promise<OutboxRow> {
  const rows = await environment.database.query<OutboxRow>(
    'SELECT * FROM mail_outbox WHERE recipient = $1',
    [recipient],
  );
  expect(rows).toHaveLength(1);
  return rows[0];
}

async function waitForStatus(
  environment: TestEnvironment,
  recipient: string,
  status: string,
): Promise<OutboxRow> {
  await waitUntil(`the mail to ${recipient} to be ${status}`, async () => {
    return (await rowTo(environment, recipient)).status === status;
  });
  return rowTo(environment, recipient);
}

/** The value of one sample in a Prometheus text exposition (0 when absent). */
function metricValue(exposition: string, sample: string): number {
  const line = exposition.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

const quietly = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const MAIL_FROM = 'Accounts <accounts@mail.example.test>';

describe('the outbox over SMTP', () => {
  let catcher: SmtpCatcher;
  beforeAll(async () => {
    catcher = await SmtpCatcher.start();
  });
  afterAll(async () => {
    await catcher.stop();
  });

  const service = useTestApp(() => ({
    SMTP_URL: catcher.url,
    MAIL_FROM,
    OUTBOX_POLL_INTERVAL_MS: '100',
    OUTBOX_RETRY_BASE_MS: '200',
    OUTBOX_MAX_ATTEMPTS: '5',
  }));
  const metrics = async () => (await request(service.server).get('/metrics').expect(200)).text;

  it('delivers a queued mail once, with its outbox Message-ID, From, text and HTML, and empties the sent row', async () => {
    const to = newRecipient('delivered');
    const link = await enqueueVerification(service, to);

    const mail = await catcher.waitForMail(to);
    const row = await waitForStatus(service.environment, to, 'sent');
    expect(mail.messageId).toBe(`<${row.id}@mail.example.test>`);
    expect(mail.from).toBe('accounts@mail.example.test');
    expect(mail.subject).toBe('Verify your email address');
    expect(linkIn(mail).url.toString()).toBe(link);
    expect(mail.html).toContain('Verify email');
    expect(mail.html).toContain(link);
    expect(row).toMatchObject({ attempts: 1, text_body: '', html_body: '', last_error: null });
    expect(row.sent_at).not.toBeNull();

    await quietly(500);
    expect(catcher.mailsTo(to)).toHaveLength(1);
    expect(metricValue(await metrics(), 'mail_sent_total{template="verify-email"}')).toBe(1);
  });

  it('keeps a mail pending and retries later and later while SMTP is down, then delivers it exactly once', async () => {
    await catcher.stop();
    const to = newRecipient('outage');
    await enqueueVerification(service, to);

    await waitUntil('a first failed attempt', async () => {
      const row = await rowTo(service.environment, to);
      return row.attempts >= 1 && row.last_error !== null;
    });
    const first = await rowTo(service.environment, to);
    await waitUntil('a third failed attempt', async () => {
      const row = await rowTo(service.environment, to);
      return row.attempts >= 3 && row.last_error !== null;
    });
    const third = await rowTo(service.environment, to);
    expect(third.status).toBe('pending');
    expect(third.next_attempt_at.getTime()).toBeGreaterThan(first.next_attempt_at.getTime());
    expect(third.last_error).toMatch(/ECONNECTION|ECONNREFUSED/);
    expect(catcher.mailsTo(to)).toHaveLength(0);
    expect(metricValue(await metrics(), 'mail_send_errors_total')).toBeGreaterThanOrEqual(2);

    await catcher.start();
    await catcher.waitForMail(to);
    const sent = await waitForStatus(service.environment, to, 'sent');
    expect(sent.attempts).toBeGreaterThan(third.attempts);
    await quietly(1000);
    expect(catcher.mailsTo(to)).toHaveLength(1);
  });

  it('fails a mail at once when the server rejects it permanently (550), and counts it', async () => {
    catcher.rejectWith = 550;
    try {
      const to = newRecipient('rejected');
      await enqueueVerification(service, to);

      const row = await waitForStatus(service.environment, to, 'failed');
      expect(row.attempts).toBe(1);
      expect(row.last_error).toMatch(/550/);
      expect(row).toMatchObject({ text_body: '', html_body: '' });
      expect(metricValue(await metrics(), 'mail_failed_total{template="verify-email"}')).toBe(1);
    } finally {
      catcher.rejectWith = null;
    }
  });

  it('retries a temporary rejection (451) until OUTBOX_MAX_ATTEMPTS, then fails the mail', async () => {
    catcher.rejectWith = 451;
    try {
      const errorsBefore = metricValue(await metrics(), 'mail_send_errors_total');
      const to = newRecipient('deferred');
      await enqueueVerification(service, to);

      const row = await waitForStatus(service.environment, to, 'failed');
      expect(row.attempts).toBe(5);
      expect(row.last_error).toMatch(/451/);
      const exposition = await metrics();
      expect(metricValue(exposition, 'mail_failed_total{template="verify-email"}')).toBe(2);
      expect(metricValue(exposition, 'mail_send_errors_total')).toBe(errorsBefore + 4);
    } finally {
      catcher.rejectWith = null;
    }
  });

  it("records a send's outcome only for the claim it holds, not over another replica's since", async () => {
    const to = newRecipient('stale-claim');
    // Claimed twice (attempts 2): the first claimant lost its lease and the mail was claimed again.
    const [{ id }] = await service.environment.database.query<{ id: string }>(
      `INSERT INTO mail_outbox (recipient, template, subject, text_body, html_body, attempts, next_attempt_at)
       VALUES ($1, 'verify-email', 's', 't', 'h', 2, now() + interval '1 hour') RETURNING id`,
      [to],
    );
    const outbox = service.app.get(OutboxRepository);
    await outbox.markSent({ id, attempts: 1 });
    await outbox.markFailed({ id, attempts: 1 }, 'late failure');
    expect(await rowTo(service.environment, to)).toMatchObject({
      status: 'pending',
      text_body: 't',
    });
    await outbox.markSent({ id, attempts: 2 });
    expect(await rowTo(service.environment, to)).toMatchObject({ status: 'sent', text_body: '' });
  });

  it('fails a mail whose every allowed attempt was claimed without an outcome (a worker killed mid-send)', async () => {
    const to = newRecipient('abandoned');
    await service.environment.database.query(
      `INSERT INTO mail_outbox (recipient, template, subject, text_body, html_body, attempts, last_error)
       VALUES ($1, 'abandoned-test', 's', 't', 'h', 5, 'ETIMEDOUT')`,
      [to],
    );
    const row = await waitForStatus(service.environment, to, 'failed');
    expect(row).toMatchObject({ attempts: 5, text_body: '', html_body: '' });
    expect(row.last_error).toBe('ETIMEDOUT; no outcome recorded for the last attempt');
    expect(catcher.mailsTo(to)).toHaveLength(0);
    expect(metricValue(await metrics(), 'mail_failed_total{template="abandoned-test"}')).toBe(1);
  });

  it('exports the outbox backlog gauges', async () => {
    const exposition = await metrics();
    expect(exposition).toContain('mail_outbox_pending ');
    expect(exposition).toContain('mail_outbox_oldest_pending_age_seconds ');
  });
});

describe('the outbox with two replicas on one database', () => {
  let catcher: SmtpCatcher;
  beforeAll(async () => {
    catcher = await SmtpCatcher.start();
  });
  afterAll(async () => {
    await catcher.stop();
  });

  const env = () => ({
    SMTP_URL: catcher.url,
    MAIL_FROM,
    OUTBOX_POLL_INTERVAL_MS: '100',
    OUTBOX_RETRY_BASE_MS: '200',
  });
  const replicaA = useTestApp(env);
  let replicaB: RunningApp;
  beforeAll(async () => {
    replicaB = await replicaA.environment.startApp(env());
  });

  it('sends each of 40 queued mails exactly once, both replicas taking a share', async () => {
    // A slow server keeps both workers' claims open at the same time.
    catcher.replyDelayMs = 20;
    const recipients = Array.from({ length: 40 }, (_, index) => newRecipient(`replica-${index}`));
    // Half queued straight into the table (both workers race for them at the next poll), half
    // through each replica's service (which nudges its own worker).
    await replicaA.environment.database.query(
      `INSERT INTO mail_outbox (recipient, template, subject, text_body, html_body)
       SELECT r, 'verify-email', 'Verify your email address', 'text', '<p>html</p>'
       FROM unnest($1::text[]) AS r`,
      [recipients.slice(0, 20)],
    );
    await Promise.all(
      recipients
        .slice(20)
        .map((to, index) => enqueueVerification(index % 2 === 0 ? replicaA : replicaB, to)),
    );

    await waitUntil('40 mails', () => Promise.resolve(catcher.messages.length >= 40), 20_000);
    await quietly(1000);
    expect(catcher.messages).toHaveLength(40);
    const ids = await replicaA.environment.database.query<{ id: string }>(
      `SELECT id FROM mail_outbox WHERE status = 'sent'`,
    );
    expect(new Set(catcher.messages.map((mail) => mail.messageId))).toEqual(
      new Set(ids.map((row) => `<${row.id}@mail.example.test>`)),
    );
    expect(new Set(catcher.messages.map((mail) => mail.to[0]))).toEqual(new Set(recipients));
    const metricsA = (await request(replicaA.server).get('/metrics').expect(200)).text;
    const metricsB = (await request(replicaB.server).get('/metrics').expect(200)).text;
    const sent = (text: string) => metricValue(text, 'mail_sent_total{template="verify-email"}');
    expect(sent(metricsA) + sent(metricsB)).toBe(40);
    expect(sent(metricsA)).toBeGreaterThan(0);
    expect(sent(metricsB)).toBeGreaterThan(0);
  });
});
