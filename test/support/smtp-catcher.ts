import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { closedPort } from './tcp-proxy.js';
import { waitUntil } from './wait.js';

/** One message as the SMTP server received it, parsed. */
export interface CaughtMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  messageId: string | undefined;
  receivedAt: number;
}

/**
 * A real SMTP server on a loopback port (npm `smtp-server`), keeping every message it accepts
 * (parsed by `mailparser`). `stop()` and `start()` again on the same port simulate an outage;
 * `rejectWith` makes it answer DATA with an error instead; `replyDelayMs` makes it slow.
 */
export class SmtpCatcher {
  readonly messages: CaughtMail[] = [];
  /** An SMTP reply code (e.g. 451 temporary, 550 permanent) for every DATA, or null to accept. */
  rejectWith: number | null = null;
  /**
   * How long the server holds a received message before it keeps it and answers 250: a send in
   * flight for that long, as with a slow relay.
   */
  replyDelayMs = 0;
  /** Messages received whose reply has not been sent yet. */
  pendingReplies = 0;
  private server: SMTPServer | undefined;

  private constructor(readonly port: number) {}

  /** Listens on a free port; `{ isListening: false }` only picks the port (SMTP down). */
  static async start({ isListening = true } = {}): Promise<SmtpCatcher> {
    const catcher = new SmtpCatcher(await closedPort());
    if (isListening) await catcher.start();
    return catcher;
  }

  /** `smtp://` URL for SMTP_URL (no TLS, any credentials accepted). */
  get url(): string {
    return `smtp://test:test@127.0.0.1:${this.port}`;
  }

  get isRunning(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      allowInsecureAuth: true,
      logger: false,
      // stop() is an outage: clients' open (pooled) connections are cut, not waited for.
      closeTimeout: 100,
      onAuth: (_auth, _session, callback) => callback(null, { user: 'test' }),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if (this.rejectWith !== null) {
            const error = Object.assign(new Error('rejected by the test'), {
              responseCode: this.rejectWith,
            });
            callback(error);
            return;
          }
          this.pendingReplies += 1;
          const replyDelay = new Promise((resolve) => setTimeout(resolve, this.replyDelayMs));
          Promise.all([simpleParser(Buffer.concat(chunks)), replyDelay])
            .then(([parsed]) => {
              this.messages.push({
                to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                subject: parsed.subject ?? '',
                text: parsed.text ?? '',
                html: typeof parsed.html === 'string' ? parsed.html : '',
                messageId: parsed.messageId,
                receivedAt: Date.now(),
              });
              callback();
            })
            .catch((error: Error) => callback(error))
            .finally(() => (this.pendingReplies -= 1));
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Messages received for `address`, oldest first. */
  mailsTo(address: string): CaughtMail[] {
    return this.messages.filter((mail) => mail.to.includes(address.toLowerCase()));
  }

  /** Waits until `count` messages for `address` arrived; returns the newest. */
  async waitForMail(address: string, count = 1, timeoutMs = 10_000): Promise<CaughtMail> {
    await waitUntil(
      `${count} mail(s) to ${address}`,
      () => Promise.resolve(this.mailsTo(address).length >= count),
      timeoutMs,
    );
    return this.mailsTo(address).at(-1)!;
  }
}

/** The link in a mail's text body that carries `?token=`, and its token. */
export function linkIn(mail: CaughtMail): { url: URL; token: string } {
  const match = /https?:\/\/\S+\?token=[A-Za-z0-9_-]+/.exec(mail.text);
  if (!match) throw new Error(`no link with a token in mail "${mail.subject}":\n${mail.text}`);
  const url = new URL(match[0]);
  return { url, token: url.searchParams.get('token')! };
}
