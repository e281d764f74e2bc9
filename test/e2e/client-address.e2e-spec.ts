import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { registerUser } from '../factories/user.factory.js';
import { useTestApp } from '../support/test-app.js';

describe('the client address behind a trusted proxy', () => {
  const service = useTestApp({ TRUST_PROXY: 'loopback' });

  /** Signs in with `forwardedFor` as the proxy's header; answers the new session's stored ip. */
  async function sessionIpFrom(forwardedFor: string): Promise<unknown> {
    const user = await registerUser(service.server);
    const signIn = await request(service.server)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', forwardedFor)
      .send({ email: user.email, password: user.password });
    expect(signIn.status).toBe(200);
    const sessions = await request(service.server)
      .get('/api/v1/auth/sessions')
      .set('Authorization', `Bearer ${(signIn.body as { accessToken: string }).accessToken}`)
      .expect(200);
    const [session] = sessions.body as Array<{ ip: unknown }>;
    return session.ip;
  }

  it.each(['203.0.113.9', '2001:db8::42'])(
    'stores the forwarded address %p with the session',
    async (address) => {
      expect(await sessionIpFrom(address)).toBe(address);
    },
  );

  it.each([
    ['a word', 'not-an-ip'],
    ['markup', '<script>alert(1)</script>'],
    ['an address with a port', '203.0.113.9:4711'],
    ['2,000 characters', `203.0.113.9${'9'.repeat(1989)}`],
  ])('stores no session address from %s in X-Forwarded-For', async (_case, garbage) => {
    expect(await sessionIpFrom(garbage)).toBeNull();
  });
});
