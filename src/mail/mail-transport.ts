import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailConfig } from '../config/app-config.js';

/** One message of the outbox, as a transport sends it. */
export interface OutgoingMail {
  /** The outbox row's id: the Message-ID is made from it, so a duplicate is recognisable. */
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Delivers one message; rejects with nodemailer's error (with `responseCode`) when it fails, or
 * when `signal` aborts it.
 */
export abstract class MailTransport {
  abstract send(mail: OutgoingMail, signal?: AbortSignal): Promise<void>;
  close(): void {}
}

// A hung server fails the send within about a minute, well inside the worker's claim lease.
export const SMTP_CONNECTION_TIMEOUT_MS = 10_000;
export const SMTP_GREETING_TIMEOUT_MS = 10_000;
export const SMTP_SOCKET_TIMEOUT_MS = 30_000;
/** As many as the outbox worker's lanes. */
export const SMTP_POOL_CONNECTIONS = 4;

/** The domain of MAIL_FROM's address (`Name <no-reply@example.com>` -> `example.com`). */
export function senderDomain(from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  const at = address.lastIndexOf('@');
  const domain = at >= 0 ? address.slice(at + 1).trim() : '';
  return domain.length > 0 ? domain : 'localhost';
}

const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|::1)$/;

/**
 * nodemailer's options for SMTP_URL. `smtps://` is TLS from the first byte; `smtp://` must upgrade
 * with STARTTLS (a network attacker who strips the server's STARTTLS offer would otherwise read the
 * credentials and the reset links), except to a loopback relay or with `?tls=optional` (a catcher
 * such as Mailpit on a private network).
 */
export function smtpTransportOptions(smtpUrl: string) {
  const url = new URL(smtpUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const isImplicitTls = url.protocol === 'smtps:';
  const isPlaintextAllowed =
    LOOPBACK_HOSTS.test(host) || url.searchParams.get('tls') === 'optional';
  return {
    host,
    port: url.port ? Number(url.port) : isImplicitTls ? 465 : 587,
    secure: isImplicitTls,
    requireTLS: !isImplicitTls && !isPlaintextAllowed,
    auth: url.username
      ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
      : undefined,
    connectionTimeout: SMTP_CONNECTION_TIMEOUT_MS,
    greetingTimeout: SMTP_GREETING_TIMEOUT_MS,
    socketTimeout: SMTP_SOCKET_TIMEOUT_MS,
    // Connections are kept and reused (one per worker lane): no connect, greeting and EHLO per mail.
    pool: true as const,
    maxConnections: SMTP_POOL_CONNECTIONS,
    maxMessages: 100,
    idleTimeout: 30_000,
    // A message whose connection dropped mid-send fails back to the worker, which owns retries
    // (backoff, attempts, the outbox row), instead of being resent behind its back.
    maxRequeues: 0,
  };
}

const messageFields = (mail: OutgoingMail, from: string, domain: string) => ({
  from,
  to: mail.to,
  subject: mail.subject,
  text: mail.text,
  html: mail.html,
  messageId: `<${mail.id}@${domain}>`,
});

/** SMTP_URL set: every message goes to that server (smtp:// with STARTTLS, smtps:// TLS). */
export class SmtpMailTransport extends MailTransport {
  private readonly transporter: Transporter;
  private readonly domain: string;

  constructor(private readonly config: MailConfig & { smtpUrl: string }) {
    super();
    this.domain = senderDomain(config.from);
    this.transporter = nodemailer.createTransport(smtpTransportOptions(config.smtpUrl));
  }

  async send(mail: OutgoingMail, signal?: AbortSignal): Promise<void> {
    await this.transporter.sendMail({
      ...messageFields(mail, this.config.from, this.domain),
      signal,
    });
  }

  override close(): void {
    this.transporter.close();
  }
}

/**
 * No SMTP_URL (development, embedded mode): each message is written as an .eml file under
 * DATA_DIR/outbox (nothing with DATA_DIR=:memory:) and logged with its links, so whoever runs the
 * service locally can follow a verification or reset link from the log.
 */
export class DevelopmentMailTransport extends MailTransport {
  private readonly logger = new Logger('MailDelivery');
  private readonly transporter = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });
  private readonly domain: string;

  constructor(private readonly config: MailConfig) {
    super();
    this.domain = senderDomain(config.from);
  }

  async send(mail: OutgoingMail): Promise<void> {
    const links = mail.text.match(/https?:\/\/[^\s<>"']+/g) ?? [];
    let file: string | undefined;
    if (this.config.outboxDir !== undefined) {
      const info = await this.transporter.sendMail(
        messageFields(mail, this.config.from, this.domain),
      );
      await mkdir(this.config.outboxDir, { recursive: true });
      const time = new Date().toISOString().replace(/[:.]/g, '-');
      file = join(this.config.outboxDir, `${time}-${mail.id}.eml`);
      await writeFile(file, info.message as Buffer);
    }
    this.logger.log(
      { to: mail.to, subject: mail.subject, file: file ?? null, links },
      `mail not sent (no SMTP_URL): ${file ? `written to ${file}` : 'logged only'}; links: ${links.join(' ') || 'none'}`,
    );
  }
}

export function createMailTransport(config: MailConfig): MailTransport {
  const { smtpUrl } = config;
  return smtpUrl === undefined
    ? new DevelopmentMailTransport(config)
    : new SmtpMailTransport({ ...config, smtpUrl });
}
