import { describe, expect, it } from '@jest/globals';
import { senderDomain, smtpTransportOptions } from './mail-transport.js';

describe('smtpTransportOptions', () => {
  it('requires STARTTLS on smtp:// to a remote relay, so a stripped offer cannot downgrade it', () => {
    const options = smtpTransportOptions('smtp://user:p%40ss@smtp.example.com:587');
    expect(options).toMatchObject({
      host: 'smtp.example.com',
      port: 587,
      secure: false,
      requireTLS: true,
      auth: { user: 'user', pass: 'p@ss' },
    });
  });

  it('reuses connections, and never resends a message on its own (the outbox worker retries)', () => {
    expect(smtpTransportOptions('smtp://127.0.0.1:25')).toMatchObject({
      pool: true,
      maxConnections: 4,
      maxRequeues: 0,
    });
  });

  it('uses TLS from the first byte on smtps://, on port 465 by default', () => {
    expect(smtpTransportOptions('smtps://mail.example.com')).toMatchObject({
      port: 465,
      secure: true,
      requireTLS: false,
    });
  });

  it.each(['smtp://127.0.0.1:1025', 'smtp://localhost:25', 'smtp://[::1]:2525'])(
    'allows plaintext to a loopback catcher (%s)',
    (url) => {
      expect(smtpTransportOptions(url)).toMatchObject({ requireTLS: false, auth: undefined });
    },
  );

  it('allows plaintext to a remote relay only with ?tls=optional', () => {
    expect(smtpTransportOptions('smtp://mailpit:1025?tls=optional')).toMatchObject({
      host: 'mailpit',
      port: 1025,
      requireTLS: false,
    });
    expect(smtpTransportOptions('smtp://mailpit:1025')).toMatchObject({ requireTLS: true });
  });

  it('unwraps an IPv6 address', () => {
    expect(smtpTransportOptions('smtp://[2001:db8::25]:587').host).toBe('2001:db8::25');
  });
});

describe('senderDomain', () => {
  it.each([
    ['User Auth <no-reply@example.com>', 'example.com'],
    ['no-reply@mail.example.org', 'mail.example.org'],
    ['nobody', 'localhost'],
  ])('%s -> %s', (from, domain) => {
    expect(senderDomain(from)).toBe(domain);
  });
});
