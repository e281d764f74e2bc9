// Seeds a running service so that every operation of the Portman collection has a success case,
// and returns the Postman variables its overwrites use (portman-config.json). Each request that
// changes or ends something gets an account of its own, so the folders' order only matters for
// what portman-config.json orders: a read before the write that sends its ETag, logout last.
import { randomBytes } from 'node:crypto';
import { buildUser, type TokenPair } from '../../factories/user.factory.js';
import { type CaughtMail, linkIn, type SmtpCatcher } from '../../support/smtp-catcher.js';
import { waitUntil } from '../../support/wait.js';

export interface FixtureOptions {
  baseUrl: string;
  /** Where the service delivers its mail (SMTP_URL); the mailed links carry the tokens. */
  smtp: SmtpCatcher;
  /** An admin account the service was started with (ADMIN_EMAIL, ADMIN_PASSWORD). */
  admin: { email: string; password: string };
}

export type PostmanVariables = Record<string, string>;

export async function seedContractFixture(options: FixtureOptions): Promise<PostmanVariables> {
  const { baseUrl, smtp } = options;
  const password = `Contract-${randomBytes(6).toString('hex')}-staple`;

  async function call(
    method: string,
    path: string,
    init: { body?: unknown; token?: string } = {},
  ): Promise<Response> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    if (response.status >= 300) {
      throw new Error(
        `fixture: ${method} ${path} answered ${response.status}: ${await response.text()}`,
      );
    }
    return response;
  }

  const register = async (name: string) => {
    const { email } = buildUser({ email: `${name}-${randomBytes(5).toString('hex')}@example.com` });
    const body = (await (
      await call('POST', '/api/v1/auth/register', { body: { email, password } })
    ).json()) as { id: string };
    return { id: body.id, email };
  };
  const login = async (email: string, secret = password) =>
    (await (
      await call('POST', '/api/v1/auth/login', { body: { email, password: secret } })
    ).json()) as TokenPair;
  const signedIn = async (name: string) => {
    const user = await register(name);
    return { ...user, tokens: await login(user.email) };
  };
  const etagOf = async (path: string, token: string) => {
    const etag = (await call('GET', path, { token })).headers.get('etag');
    if (!etag) throw new Error(`fixture: no ETag on GET ${path}`);
    return etag;
  };
  /** The token of the newest mail to `email` whose link opens `pathname`. */
  const mailedToken = async (email: string, pathname: string) => {
    const links = () =>
      smtp
        .mailsTo(email)
        .filter((mail: CaughtMail) => mail.text.includes('?token='))
        .map(linkIn)
        .filter(({ url }) => url.pathname === pathname);
    await waitUntil(`a mail to ${email} linking to ${pathname}`, () =>
      Promise.resolve(links().length > 0),
    );
    return links().at(-1)!.token;
  };

  const admin = await login(options.admin.email, options.admin.password);
  const [alice, bob, carol, dave, erin, ivan, judy] = await Promise.all(
    ['alice', 'bob', 'carol', 'dave', 'erin', 'ivan', 'judy'].map(signedIn),
  );
  const [frank, gina, hank, kim, leo] = await Promise.all(
    ['frank', 'gina', 'hank', 'kim', 'leo'].map(register),
  );

  // A second session of alice's, for DELETE /auth/sessions/{id}.
  const other = await login(alice.email);
  const sessions = (await (
    await call('GET', '/api/v1/auth/sessions', { token: other.accessToken })
  ).json()) as { id: string; current: boolean }[];
  const otherSession = sessions.find((session) => session.current);
  if (!otherSession) throw new Error('fixture: no current session in GET /auth/sessions');

  await call('POST', '/api/v1/auth/password/forgot', { body: { email: hank.email } });
  const judyNewEmail = `judy-new-${randomBytes(5).toString('hex')}@example.com`;
  await call('POST', '/api/v1/users/me/email', {
    token: judy.tokens.accessToken,
    body: { newEmail: judyNewEmail, password },
  });

  return {
    password,
    newPassword: `Changed-${randomBytes(6).toString('hex')}-staple`,
    registerEmail: `new-${randomBytes(5).toString('hex')}@example.com`,
    adminAccessToken: admin.accessToken,
    aliceEmail: alice.email,
    // The collection's default bearer (operations without an overwrite): alice's session.
    bearerToken: alice.tokens.accessToken,
    aliceOtherSessionId: otherSession.id,
    bobRefreshToken: bob.tokens.refreshToken,
    carolAccessToken: carol.tokens.accessToken,
    daveAccessToken: dave.tokens.accessToken,
    erinAccessToken: erin.tokens.accessToken,
    erinEtag: await etagOf('/api/v1/users/me', erin.tokens.accessToken),
    frankVerifyToken: await mailedToken(frank.email, '/verify-email'),
    ginaEmail: gina.email,
    hankResetToken: await mailedToken(hank.email, '/reset-password'),
    ivanAccessToken: ivan.tokens.accessToken,
    ivanNewEmail: `ivan-new-${randomBytes(5).toString('hex')}@example.com`,
    judyAccessToken: judy.tokens.accessToken,
    judyEmailChangeToken: await mailedToken(judyNewEmail, '/confirm-email'),
    kimId: kim.id,
    leoId: leo.id,
    leoEtag: await etagOf(`/api/v1/users/${leo.id}`, admin.accessToken),
  };
}
