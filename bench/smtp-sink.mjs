// The SMTP server the benchmarked service delivers its mail to (npm `smtp-server`, loopback, no
// TLS, any credentials): it accepts every message and keeps only a count, so the outbox worker's
// sending (the SMTP dialogue and the upload per mail, over pooled connections) is part of what is measured.
import { SMTPServer } from 'smtp-server';

export async function startSmtpSink() {
  let accepted = 0;
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    onAuth: (_auth, _session, callback) => callback(null, { user: 'bench' }),
    onData: (stream, _session, callback) => {
      stream.on('end', () => {
        accepted += 1;
        callback();
      });
      stream.resume();
    },
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.server.address();
  return {
    url: `smtp://bench:bench@127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}
