import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { BackgroundTasks } from '../../src/lifecycle/background-tasks.js';
import {
  buildUser,
  createSignedInUser,
  login,
  registerUser,
  type SignedInUser,
} from '../factories/user.factory.js';
import { linkIn, SmtpCatcher } from '../support/smtp-catcher.js';
import { type TestAppHandle, useTestApp } from '../support/test-app.js';
import { waitUntil } from '../support/wait.js';
import { expectProblem } from '../support/users-api.js';

const APP_URL = 'https://app.example.test';
const api = (service: TestAppHandle) => request(service.server);

let smtp: SmtpCatcher;
beforeAll(async () => {
  smtp = await SmtpCatcher.start();
});
afterAll(async () => {
  await smtp.stop();
});

const mailEnvironment = () => ({
  SMTP_URL: smtp.url,
  MAIL_FROM: 'Accounts <accounts@example.test>',
  APP_URL,
  OUTBOX_POLL_INTERVAL_MS: '100',
  OUTBOX_RETRY_BASE_MS: '100',
  RATE_LIMIT_ACCOUNT_MAIL_PER_MIN: '10000',
  RATE_LIMIT_ACCOUNT_LINK_PER_MIN: '10000',
});

/**
 * The token of the newest mail to `email` whose link opens `path`, once `count` such mails arrived
 * (mails of different kinds may arrive in any order).
 */
async function tokenFromMail(email: string, path: string, count = 1): Promise<string> {
  const linksTo = () =>
    smtp
      .mailsTo(email)
      .filter((mail) => /\?token=/.test(mail.text))
      .map((mail) => linkIn(mail))
      .filter(({ url }) => url.pathname === path);
  await waitUntil(`${count} mail(s) to ${email} linking to ${path}`, () =>
    Promise.resolve(linksTo().length >= count),
  );
  const { url, token } = linksTo().at(-1)!;
  expect(url.origin).toBe(APP_URL);
  return token;
}

const VERIFY = '/verify-email';
const RESET = '/reset-password';
const CONFIRM = '/confirm-email';

function me(service: TestAppHandle, user: { bearer: string }) {
  return api(service).get('/api/v1/users/me').set('Authorization', user.bearer);
}

function refresh(service: TestAppHandle, refreshToken: string) {
  return api(service).post('/api/v1/auth/refresh').send({ refreshToken });
}

describe('account lifecycle over real SMTP', () => {
  const service = useTestApp(mailEnvironment);

  const outboxRowsTo = (email: string) =>
    service.environment.database.query<{ status: string }>(
      'SELECT status FROM mail_outbox WHERE recipient = $1',
      [email],
    );

  describe('email verification', () => {
    it('mails a link on registration that verifies the address once', async () => {
      const user = await createSignedInUser(service.server);
      const token = await tokenFromMail(user.email, VERIFY);
      const mail = smtp.mailsTo(user.email)[0];
      expect(mail.subject).toMatch(/verify/i);
      expect(mail.from).toBe('accounts@example.test');
      expect(mail.html).toContain(`${APP_URL}/verify-email?token=${token}`);

      // Read (and cached) before, so the cache must see the change.
      expect((await me(service, user)).body).toMatchObject({ emailVerified: false });
      const verified = await api(service).post('/api/v1/auth/verify-email').send({ token });
      expect(verified.status).toBe(204);
      expect((await me(service, user)).body).toMatchObject({ emailVerified: true });

      expectProblem(
        await api(service).post('/api/v1/auth/verify-email').send({ token }),
        400,
        'ACCOUNT_TOKEN_USED',
      );
    });

    it('refuses a garbage, an expired and a wrong-purpose token with stable codes', async () => {
      expectProblem(
        await api(service).post('/api/v1/auth/verify-email').send({ token: 'garbage' }),
        400,
        'ACCOUNT_TOKEN_INVALID',
      );
      expectProblem(
        await api(service).post('/api/v1/auth/verify-email').send({}),
        400,
        'VALIDATION_FAILED',
        ['token'],
      );

      const user = await registerUser(service.server);
      const token = await tokenFromMail(user.email, VERIFY);
      await service.environment.database.query(
        `UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
        [user.id],
      );
      expectProblem(
        await api(service).post('/api/v1/auth/verify-email').send({ token }),
        400,
        'ACCOUNT_TOKEN_EXPIRED',
      );
      // A verification token is not a reset token.
      expectProblem(
        await api(service)
          .post('/api/v1/auth/password/reset')
          .send({ token, newPassword: 'a brand new passphrase 42' }),
        400,
        'ACCOUNT_TOKEN_INVALID',
      );
    });

    it('resends a new link that voids the older one, and refuses once verified', async () => {
      const user = await createSignedInUser(service.server);
      const first = await tokenFromMail(user.email, VERIFY, 1);
      const resend = await api(service)
        .post('/api/v1/auth/verify-email/resend')
        .set('Authorization', user.bearer);
      expect(resend.status).toBe(202);
      const second = await tokenFromMail(user.email, VERIFY, 2);
      expect(second).not.toBe(first);

      expectProblem(
        await api(service).post('/api/v1/auth/verify-email').send({ token: first }),
        400,
        'ACCOUNT_TOKEN_INVALID',
      );
      expect(
        (await api(service).post('/api/v1/auth/verify-email').send({ token: second })).status,
      ).toBe(204);
      expectProblem(
        await api(service)
          .post('/api/v1/auth/verify-email/resend')
          .set('Authorization', user.bearer),
        409,
        'ACCOUNT_EMAIL_ALREADY_VERIFIED',
      );
      expectProblem(
        await api(service).post('/api/v1/auth/verify-email/resend'),
        401,
        'AUTH_TOKEN_MISSING',
      );
    });
  });

  describe('password reset', () => {
    const forgot = (email: string) =>
      api(service).post('/api/v1/auth/password/forgot').send({ email });
    const settled = () => service.app.get(BackgroundTasks).settled();

    it('answers known and unknown addresses identically and mails only the known one', async () => {
      const user = await registerUser(service.server);
      const unknown = buildUser().email;
      const known = await forgot(user.email);
      const missing = await forgot(unknown);
      await settled();

      for (const response of [known, missing]) {
        expect(response.status).toBe(202);
        expect(response.headers['content-type']).toBe(known.headers['content-type']);
        expect(response.headers['cache-control']).toBe('no-store');
      }
      expect(missing.body).toEqual(known.body);
      expect(missing.text).toBe(known.text);

      await tokenFromMail(user.email, RESET);
      expect(smtp.mailsTo(user.email).map((mail) => mail.subject)).toContain('Reset your password');
      expect(await outboxRowsTo(unknown)).toEqual([]);
    });

    it('mails nothing to a disabled account', async () => {
      const user = await registerUser(service.server);
      await service.environment.database.query(
        `UPDATE users SET status = 'disabled' WHERE id = $1`,
        [user.id],
      );
      expect((await forgot(user.email)).status).toBe(202);
      await settled();
      expect(await outboxRowsTo(user.email)).toHaveLength(1); // the verification mail only
    });

    it('resets with the newest link only, once, and ends every session', async () => {
      const user = await createSignedInUser(service.server);
      const other = await login(service.server, user.email, user.password);
      await smtp.waitForMail(user.email, 1); // verification

      expect((await forgot(user.email)).status).toBe(202);
      const older = await tokenFromMail(user.email, RESET, 1);
      expect((await forgot(user.email)).status).toBe(202);
      const newer = await tokenFromMail(user.email, RESET, 2);
      expect(newer).not.toBe(older);

      const newPassword = 'a completely new passphrase 77';
      const reset = (token: string, password = newPassword) =>
        api(service).post('/api/v1/auth/password/reset').send({ token, newPassword: password });

      expectProblem(await reset(older), 400, 'ACCOUNT_TOKEN_INVALID');
      expectProblem(await reset(newer, 'short'), 400, 'VALIDATION_FAILED', ['newPassword']);
      expect((await reset(newer)).status).toBe(204);
      expectProblem(await reset(newer), 400, 'ACCOUNT_TOKEN_USED');

      // Every session ended: access tokens refused at once, refresh tokens dead.
      expectProblem(await me(service, user), 401, 'AUTH_SESSION_REVOKED');
      expect((await refresh(service, user.tokens.refreshToken)).status).toBe(401);
      expect((await refresh(service, other.refreshToken)).status).toBe(401);

      const oldLogin = await api(service)
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password });
      expectProblem(oldLogin, 401, 'AUTH_INVALID_CREDENTIALS');
      const fresh = await login(service.server, user.email, newPassword);
      expect(fresh.accessToken).toEqual(expect.any(String));
      // Following the link proved the address too.
      expect((await me(service, { bearer: `Bearer ${fresh.accessToken}` })).body).toMatchObject({
        emailVerified: true,
      });
    });

    it('spends one link once when two resets race with it', async () => {
      const user = await registerUser(service.server);
      await forgot(user.email);
      const token = await tokenFromMail(user.email, RESET);
      const answers = await Promise.all(
        ['racing passphrase number one', 'racing passphrase number two'].map((newPassword) =>
          api(service).post('/api/v1/auth/password/reset').send({ token, newPassword }),
        ),
      );
      expect(answers.map((answer) => answer.status).sort()).toEqual([204, 400]);
      expect(answers.find((answer) => answer.status === 400)?.body).toMatchObject({
        code: 'ACCOUNT_TOKEN_USED',
      });
    });

    it('voids a pending reset link when the password is changed, or the account moves or is disabled', async () => {
      const reset = (token: string) =>
        api(service)
          .post('/api/v1/auth/password/reset')
          .send({ token, newPassword: 'a completely new passphrase 79' });

      const changed = await createSignedInUser(service.server);
      await forgot(changed.email);
      const beforeChange = await tokenFromMail(changed.email, RESET);
      const change = await api(service)
        .post('/api/v1/auth/password')
        .set('Authorization', changed.bearer)
        .send({ currentPassword: changed.password, newPassword: 'the owner chose this one 80' });
      expect(change.status).toBe(204);
      expectProblem(await reset(beforeChange), 400, 'ACCOUNT_TOKEN_INVALID');

      // The link went to an address the account has left (by any path): it resets nothing.
      const moved = await registerUser(service.server);
      await forgot(moved.email);
      const toOldAddress = await tokenFromMail(moved.email, RESET);
      await service.environment.database.query(`UPDATE users SET email = $2 WHERE id = $1`, [
        moved.id,
        buildUser().email,
      ]);
      expectProblem(await reset(toOldAddress), 400, 'ACCOUNT_TOKEN_INVALID');

      const disabled = await registerUser(service.server);
      await forgot(disabled.email);
      const beforeDisable = await tokenFromMail(disabled.email, RESET);
      await service.environment.database.query(
        `UPDATE users SET status = 'disabled' WHERE id = $1`,
        [disabled.id],
      );
      expectProblem(await reset(beforeDisable), 400, 'ACCOUNT_TOKEN_INVALID');
    });

    it('refuses an expired reset link', async () => {
      const user = await registerUser(service.server);
      await forgot(user.email);
      const token = await tokenFromMail(user.email, RESET);
      await service.environment.database.query(
        `UPDATE account_tokens SET expires_at = now() - interval '1 second'
         WHERE user_id = $1 AND purpose = 'reset_password'`,
        [user.id],
      );
      expectProblem(
        await api(service)
          .post('/api/v1/auth/password/reset')
          .send({ token, newPassword: 'a completely new passphrase 78' }),
        400,
        'ACCOUNT_TOKEN_EXPIRED',
      );
    });
  });

  describe('email change', () => {
    const requestChange = (user: SignedInUser, body: object) =>
      api(service).post('/api/v1/users/me/email').set('Authorization', user.bearer).send(body);
    const confirm = (user: SignedInUser, token: string) =>
      api(service)
        .post('/api/v1/users/me/email/confirm')
        .set('Authorization', user.bearer)
        .send({ token });

    it('changes nothing until confirmed through the new address, then moves the account', async () => {
      const user = await createSignedInUser(service.server);
      const otherSession = await login(service.server, user.email, user.password);
      const newEmail = buildUser().email;

      expectProblem(
        await requestChange(user, { newEmail, password: 'not the password' }),
        400,
        'AUTH_PASSWORD_INCORRECT',
        ['password'],
      );
      expectProblem(
        await requestChange(user, { newEmail: user.email, password: user.password }),
        400,
        'ACCOUNT_EMAIL_UNCHANGED',
        ['newEmail'],
      );
      const requested = await requestChange(user, { newEmail, password: user.password });
      expect(requested.status).toBe(202);
      const token = await tokenFromMail(newEmail, CONFIRM);
      expect((await me(service, user)).body).toMatchObject({ email: user.email });

      const confirmed = await confirm(user, token);
      expect(confirmed.status).toBe(200);
      expect(confirmed.body).toMatchObject({ id: user.id, email: newEmail, emailVerified: true });
      expect(confirmed.headers.etag).toEqual(expect.any(String));
      expectProblem(await confirm(user, token), 400, 'ACCOUNT_TOKEN_USED');

      const notice = await smtp.waitForMail(user.email, 2);
      expect(notice.subject).toMatch(/changed/i);
      expect(notice.text).toContain(newEmail);

      // This session stays; the other one ended.
      expect((await me(service, user)).body).toMatchObject({ email: newEmail });
      expect((await refresh(service, user.tokens.refreshToken)).status).toBe(200);
      expectProblem(
        await me(service, { bearer: `Bearer ${otherSession.accessToken}` }),
        401,
        'AUTH_SESSION_REVOKED',
      );
      expect((await refresh(service, otherSession.refreshToken)).status).toBe(401);

      // The old address no longer signs in; the new one does.
      const oldLogin = await api(service)
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password });
      expectProblem(oldLogin, 401, 'AUTH_INVALID_CREDENTIALS');
      expect((await login(service.server, newEmail, user.password)).accessToken).toEqual(
        expect.any(String),
      );
    });

    it('refuses an address that is taken, at request and at confirmation', async () => {
      const user = await createSignedInUser(service.server);
      const holder = await registerUser(service.server);
      expectProblem(
        await requestChange(user, { newEmail: holder.email, password: user.password }),
        409,
        'USERS_EMAIL_TAKEN',
      );

      const wanted = buildUser().email;
      expect(
        (await requestChange(user, { newEmail: wanted, password: user.password })).status,
      ).toBe(202);
      const token = await tokenFromMail(wanted, CONFIRM);
      await registerUser(service.server, { email: wanted });
      expectProblem(await confirm(user, token), 409, 'USERS_EMAIL_TAKEN');
      expect((await me(service, user)).body).toMatchObject({ email: user.email });
    });

    it("refuses another account's confirmation link", async () => {
      const user = await createSignedInUser(service.server);
      const intruder = await createSignedInUser(service.server);
      const newEmail = buildUser().email;
      await requestChange(user, { newEmail, password: user.password });
      const token = await tokenFromMail(newEmail, CONFIRM);
      expectProblem(await confirm(intruder, token), 400, 'ACCOUNT_TOKEN_INVALID');
      // Still usable by its owner.
      expect((await confirm(user, token)).status).toBe(200);
    });

    it('voids links mailed to the old address once the account moved', async () => {
      const user = await createSignedInUser(service.server);
      await api(service).post('/api/v1/auth/password/forgot').send({ email: user.email });
      const reset = await tokenFromMail(user.email, RESET);
      const newEmail = buildUser().email;
      await requestChange(user, { newEmail, password: user.password });
      const change = await tokenFromMail(newEmail, CONFIRM);
      expect((await confirm(user, change)).status).toBe(200);
      expectProblem(
        await api(service)
          .post('/api/v1/auth/password/reset')
          .send({ token: reset, newPassword: 'a completely new passphrase 79' }),
        400,
        'ACCOUNT_TOKEN_INVALID',
      );
    });
  });

  it('keeps no password or token in the audit trail or in sent mail rows', async () => {
    const user = await createSignedInUser(service.server);
    const verification = await tokenFromMail(user.email, VERIFY);
    await api(service).post('/api/v1/auth/verify-email').send({ token: verification }).expect(204);
    await api(service).post('/api/v1/auth/password/forgot').send({ email: user.email });
    const reset = await tokenFromMail(user.email, RESET);
    const newPassword = 'a completely new passphrase 80';
    await api(service)
      .post('/api/v1/auth/password/reset')
      .send({ token: reset, newPassword })
      .expect(204);
    const signedIn = await login(service.server, user.email, newPassword);
    const newEmail = buildUser().email;
    await api(service)
      .post('/api/v1/users/me/email')
      .set('Authorization', `Bearer ${signedIn.accessToken}`)
      .send({ newEmail, password: newPassword });
    const change = await tokenFromMail(newEmail, CONFIRM);
    await api(service)
      .post('/api/v1/users/me/email/confirm')
      .set('Authorization', `Bearer ${signedIn.accessToken}`)
      .send({ token: change })
      .expect(200);
    await smtp.waitForMail(user.email, 3);

    const events = await service.environment.database.query<{ type: string; row: string }>(
      `SELECT type, row_to_json(e)::text AS row FROM auth_events e
       WHERE user_id = $1 ORDER BY created_at, id`,
      [user.id],
    );
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining([
        'registered',
        'email_verification_sent',
        'email_verified',
        'password_reset_requested',
        'password_reset_completed',
        'email_change_requested',
        'email_change_confirmed',
      ]),
    );
    await service.app.get(BackgroundTasks).settled();
    const sentRows = await service.environment.database.query<{ row: string }>(
      `SELECT row_to_json(m)::text AS row FROM mail_outbox m
       WHERE recipient = ANY($1) AND status = 'sent'`,
      [[user.email, newEmail]],
    );
    const stored = [...events, ...sentRows].map((entry) => entry.row).join('\n');
    for (const secret of [
      user.password,
      newPassword,
      verification,
      reset,
      change,
      signedIn.accessToken,
      signedIn.refreshToken,
    ]) {
      expect(stored).not.toContain(secret);
    }
  });
});

describe('mail limits per account', () => {
  // Each request from its own address (through a trusted proxy): what limits is the account's count.
  const service = useTestApp(() => ({
    ...mailEnvironment(),
    RATE_LIMIT_ACCOUNT_MAIL_PER_MIN: '3',
    TRUST_PROXY: '1',
  }));
  const settled = () => service.app.get(BackgroundTasks).settled();

  it("keeps a stranger's reset requests from using up the owner's resends", async () => {
    const user = await createSignedInUser(service.server);
    await smtp.waitForMail(user.email, 1); // verification
    const forgotFrom = (address: string) =>
      api(service)
        .post('/api/v1/auth/password/forgot')
        .set('X-Forwarded-For', address)
        .send({ email: user.email });
    for (const host of [1, 2, 3, 4]) {
      // Over the account's limit the stranger still gets 202, but no fourth mail goes out.
      expect((await forgotFrom(`203.0.113.${host}`)).status).toBe(202);
    }
    await settled();
    const resend = await api(service)
      .post('/api/v1/auth/verify-email/resend')
      .set('X-Forwarded-For', '198.51.100.1')
      .set('Authorization', user.bearer);
    expect(resend.status).toBe(202);

    await smtp.waitForMail(user.email, 5);
    const rows = await service.environment.database.query<{ template: string }>(
      'SELECT template FROM mail_outbox WHERE recipient = $1',
      [user.email],
    );
    expect(rows.map((row) => row.template).sort()).toEqual([
      'password-reset',
      'password-reset',
      'password-reset',
      'verify-email',
      'verify-email',
    ]);
  });

  it('spends none of the allowance on email changes it refuses (wrong password)', async () => {
    const user = await createSignedInUser(service.server);
    const requestChange = (address: string, password: string) =>
      api(service)
        .post('/api/v1/users/me/email')
        .set('X-Forwarded-For', address)
        .set('Authorization', user.bearer)
        .send({ newEmail: buildUser().email, password });
    for (const host of [1, 2, 3, 4]) {
      expectProblem(
        await requestChange(`203.0.113.${host}`, 'not the password'),
        400,
        'AUTH_PASSWORD_INCORRECT',
        ['password'],
      );
    }
    expect((await requestChange('198.51.100.1', user.password)).status).toBe(202);
  });
});

describe('REQUIRE_VERIFIED_EMAIL', () => {
  const service = useTestApp(() => ({ ...mailEnvironment(), REQUIRE_VERIFIED_EMAIL: 'true' }));

  it('refuses sign-in until the address is verified, after checking the password', async () => {
    const user = await registerUser(service.server);
    // Sent mails may arrive in any order: the newest link is the one sent last.
    await tokenFromMail(user.email, VERIFY, 1);
    const signIn = (password: string) =>
      api(service).post('/api/v1/auth/login').send({ email: user.email, password });

    expectProblem(await signIn('not the password'), 401, 'AUTH_INVALID_CREDENTIALS');
    expectProblem(await signIn(user.password), 403, 'AUTH_EMAIL_NOT_VERIFIED');
    // The refusal mailed a new link, which voided the registration's.
    const token = await tokenFromMail(user.email, VERIFY, 2);
    expect((await api(service).post('/api/v1/auth/verify-email').send({ token })).status).toBe(204);
    expect((await signIn(user.password)).status).toBe(200);
  });

  it('mails a new link when the right password meets an unverified address, never for a wrong one', async () => {
    const user = await registerUser(service.server);
    const registrationLink = await tokenFromMail(user.email, VERIFY, 1);
    // The first link expired unused: the account cannot sign in to ask for another.
    await service.environment.database.query(
      `UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [user.id],
    );
    const signIn = (password: string) =>
      api(service).post('/api/v1/auth/login').send({ email: user.email, password });
    expectProblem(await signIn('not the password'), 401, 'AUTH_INVALID_CREDENTIALS');
    expectProblem(await signIn(user.password), 403, 'AUTH_EMAIL_NOT_VERIFIED');
    const newLink = await tokenFromMail(user.email, VERIFY, 2);
    expect(newLink).not.toBe(registrationLink);
    expect(smtp.mailsTo(user.email)).toHaveLength(2);
    expect(
      (await api(service).post('/api/v1/auth/verify-email').send({ token: newLink })).status,
    ).toBe(204);
    expect((await signIn(user.password)).status).toBe(200);
  });
});

describe('the account lifecycle in the OpenAPI document', () => {
  const service = useTestApp();

  it('documents every new route with its success status, body and problem codes', async () => {
    const document = (await api(service).get('/docs/openapi.json').expect(200)).body as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, unknown>; description?: string }>
      >;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const expected: Array<[string, string, string[]]> = [
      ['/api/v1/auth/verify-email', 'post', ['204', '400', '429']],
      ['/api/v1/auth/verify-email/resend', 'post', ['202', '401', '409', '429']],
      ['/api/v1/auth/password/forgot', 'post', ['202', '400', '429']],
      ['/api/v1/auth/password/reset', 'post', ['204', '400', '429']],
      ['/api/v1/users/me/email', 'post', ['202', '400', '401', '409', '429']],
      ['/api/v1/users/me/email/confirm', 'post', ['200', '400', '401', '409', '429']],
    ];
    for (const [path, method, statuses] of expected) {
      const operation = document.paths[path]?.[method];
      expect({ path, statuses: Object.keys(operation?.responses ?? {}) }).toEqual({
        path,
        statuses: expect.arrayContaining(statuses),
      });
    }
    expect(document.paths['/api/v1/auth/password/reset'].post.description).toContain(
      'ACCOUNT_TOKEN_EXPIRED',
    );
    expect(document.components.schemas.UserResponseDto.properties).toHaveProperty('emailVerified');
    expect(document.components.schemas.ResetPasswordDto.properties).toHaveProperty('newPassword');
  });
});
