import { describe, expect, it } from '@jest/globals';
import type { RateLimitConfig } from '../config/app-config.js';
import { DomainError } from '../common/errors/domain-error.js';
import { RedisConnection } from '../redis/redis.connection.js';
import { ACCOUNT_MAILS_PER_DAY, RateLimitService } from './rate-limit.service.js';
import { RateLimitStore } from './rate-limit.store.js';

const serviceWith = (accountMailPerMinute: number) =>
  new RateLimitService(
    new RateLimitStore(
      new RedisConnection({ topology: undefined, keyPrefix: 't:', commandTimeoutMs: 250 }),
    ),
    { enabled: true, accountMailPerMinute } as RateLimitConfig,
  );

const refusal = (promise: Promise<void>) =>
  promise.then(
    () => undefined,
    (error: unknown) => (error instanceof DomainError ? error : undefined),
  );

describe('RateLimitService.consumeAccountMail', () => {
  it('counts each kind of mail in its own minute window', async () => {
    const limits = serviceWith(2);
    await limits.consumeAccountMail('u1', 'password_reset');
    await limits.consumeAccountMail('u1', 'password_reset');
    expect(await refusal(limits.consumeAccountMail('u1', 'password_reset'))).toMatchObject({
      code: 'RATE_LIMITED',
    });
    // A stranger's reset requests leave the owner's resends and other accounts alone.
    expect(await refusal(limits.consumeAccountMail('u1', 'verify_email'))).toBeUndefined();
    expect(await refusal(limits.consumeAccountMail('u2', 'password_reset'))).toBeUndefined();
  });

  it('caps the mails of all kinds to one account a day', async () => {
    const limits = serviceWith(1000);
    const kinds = ['password_reset', 'verify_email', 'email_change'];
    for (let sent = 0; sent < ACCOUNT_MAILS_PER_DAY; sent += 1) {
      await limits.consumeAccountMail('u1', kinds[sent % kinds.length]);
    }
    const refused = await refusal(limits.consumeAccountMail('u1', 'email_change'));
    expect(refused).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused?.message).toMatch(/today/);
    expect(refused?.retryAfterS).toBeGreaterThan(0);
    expect(await refusal(limits.consumeAccountMail('u2', 'email_change'))).toBeUndefined();
  });

  it('counts nothing when rate limits are off', async () => {
    const limits = new RateLimitService(
      new RateLimitStore(
        new RedisConnection({ topology: undefined, keyPrefix: 't:', commandTimeoutMs: 250 }),
      ),
      { enabled: false, accountMailPerMinute: 1 } as RateLimitConfig,
    );
    for (let sent = 0; sent < ACCOUNT_MAILS_PER_DAY + 1; sent += 1) {
      await limits.consumeAccountMail('u1', 'password_reset');
    }
  });
});
