import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createSignedInUser, type SignedInUser } from '../factories/user.factory.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { useTestApp } from '../support/test-app.js';
import { waitUntil } from '../support/wait.js';

describe('PostgreSQL becomes unreachable and comes back', () => {
  let proxy: TcpProxy;
  let user: SignedInUser;

  // jest runs afterAll hooks in declaration order: the proxy is restored before the application
  // closes (below, in useTestApp) and cut for good after.
  afterAll(async () => {
    await proxy.restore().catch(() => {});
  });

  const service = useTestApp(async (environment) => {
    const direct = new URL(environment.database.url);
    proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
    const viaProxy = new URL(direct);
    viaProxy.port = String(await proxy.start());
    return { DATABASE_URL: viaProxy.toString(), DB_CONNECT_TIMEOUT_MS: '1000' };
  });

  beforeAll(async () => {
    user = await createSignedInUser(service.server);
  });

  afterAll(async () => {
    await proxy.cut();
  });

  const readiness = () => request(service.server).get('/health/ready');

  it('turns readiness to a 503 problem naming the database, within a short timeout', async () => {
    await readiness().expect(200);
    await proxy.cut();

    const started = Date.now();
    const response = await readiness();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['retry-after']).toBeDefined();
    expect(response.body).toMatchObject({ code: 'SERVICE_NOT_READY', database: 'down' });
  });

  it('keeps liveness at 200: the process itself is fine', async () => {
    await request(service.server).get('/health/live').expect(200);
  });

  it('answers requests that need the database with 503 DATABASE_UNAVAILABLE and Retry-After', async () => {
    const response = await request(service.server)
      .get('/api/v1/auth/sessions')
      .set('Authorization', user.bearer);
    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.code).toBe('DATABASE_UNAVAILABLE');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.stringify(response.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack/);
  });

  it('is ready again once the database answers, without a restart', async () => {
    await proxy.restore();
    await waitUntil('readiness 200', async () => (await readiness()).status === 200);
    await request(service.server)
      .get('/api/v1/auth/sessions')
      .set('Authorization', user.bearer)
      .expect(200);
  });
});
