import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { useTestApp } from '../support/test-app.js';

const PROBLEM_JSON = /^application\/problem\+json/;

describe('HTTP platform', () => {
  const service = useTestApp({
    CORS_ORIGINS: 'https://app.example.com',
    ALLOWED_HOSTS: 'api.example.com,.internal.example.com,127.0.0.1',
    BODY_LIMIT: '1kb',
  });

  const api = () => request(service.server);

  it('stamps a generated request id, response time and server timing on every response', async () => {
    const response = await api().get('/health/live').expect(200);
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers['x-response-time']).toMatch(/^\d+\.\d{2}ms$/);
    expect(response.headers['server-timing']).toMatch(/^total;dur=\d+\.\d{2}$/);
  });

  it('echoes a safe incoming request id and replaces an unsafe one', async () => {
    const safe = await api()
      .get('/health/live')
      .set('X-Request-Id', 'client-abc.123:x')
      .expect(200);
    expect(safe.headers['x-request-id']).toBe('client-abc.123:x');

    const unsafe = await api()
      .get('/health/live')
      .set('X-Request-Id', 'evil id with spaces <script>')
      .expect(200);
    expect(unsafe.headers['x-request-id']).not.toContain('evil');
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sets helmet security headers and hides the framework', async () => {
    const response = await api().get('/health/live').expect(200);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toBe(
      "default-src 'none';frame-ancestors 'none'",
    );
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    const docs = await api().get('/docs').expect(200);
    expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('answers an unknown route with a problem+json 404 carrying the request id', async () => {
    const response = await api()
      .get('/api/v1/nothing-here?secret=1')
      .set('X-Request-Id', 'rid-404');
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toEqual({
      type: 'urn:problem:route-not-found',
      title: 'Not Found',
      status: 404,
      detail: expect.any(String),
      instance: '/api/v1/nothing-here',
      code: 'ROUTE_NOT_FOUND',
      requestId: 'rid-404',
    });
    expect(response.headers['x-response-time']).toBeDefined();
  });

  it('answers malformed JSON with a 400 problem', async () => {
    const response = await api()
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"email": "a@b.c",');
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body.code).toBe('MALFORMED_JSON');
    expect(response.body.requestId).toBe(response.headers['x-request-id']);
  });

  it('answers a body over BODY_LIMIT with a 413 problem', async () => {
    const response = await api()
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(2048) }));
    expect(response.status).toBe(413);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(response.headers['x-request-id']).toBeDefined();
  });

  it('answers a body that is not JSON with a 415 problem', async () => {
    const response = await api()
      .post('/api/v1/auth/login')
      .set('Content-Type', 'text/plain')
      .send('email=a@b.c');
    expect(response.status).toBe(415);
    expect(response.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('allows CORS for a configured origin and exposes the service headers', async () => {
    const response = await api()
      .get('/health/live')
      .set('Origin', 'https://app.example.com')
      .expect(200);
    expect(response.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(response.headers['access-control-expose-headers']).toContain('X-Request-Id');

    const preflight = await api()
      .options('/api/v1/users/me')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'PATCH')
      .set('Access-Control-Request-Headers', 'authorization,if-match');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toContain('PATCH');
  });

  it('refuses CORS for any other origin', async () => {
    const response = await api()
      .get('/health/live')
      .set('Origin', 'https://evil.example.net')
      .expect(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();

    const preflight = await api()
      .options('/api/v1/users/me')
      .set('Origin', 'https://evil.example.net')
      .set('Access-Control-Request-Method', 'DELETE');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a Host that is not in ALLOWED_HOSTS with a problem, but not on health routes', async () => {
    const refused = await api().get('/api/v1/users/me').set('Host', 'attacker.example.net');
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(refused.body.code).toBe('HTTP_HOST_NOT_ALLOWED');

    await api().get('/health/ready').set('Host', '10.1.2.3:3000').expect(200);
    const exact = await api().get('/api/v1/nothing').set('Host', 'api.example.com');
    expect(exact.body.code).toBe('ROUTE_NOT_FOUND');
    const subdomain = await api().get('/api/v1/nothing').set('Host', 'eu.internal.example.com:443');
    expect(subdomain.body.code).toBe('ROUTE_NOT_FOUND');
  });

  it('reports readiness with the database and the cache up', async () => {
    const response = await api().get('/health/ready').expect(200);
    expect(response.body).toMatchObject({ status: 'ok', database: 'up', cache: 'up' });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('serves the OpenAPI document and Swagger UI', async () => {
    const document = await api().get('/docs/openapi.json').expect(200);
    expect(document.body.openapi).toMatch(/^3\./);
    expect(document.body.components.securitySchemes.bearer).toMatchObject({ scheme: 'bearer' });
    expect(document.body.components.schemas.ProblemDetailsDto).toBeDefined();
    const ui = await api().get('/docs').expect(200);
    expect(ui.text).toContain('swagger-ui');
  });

  it('exports Prometheus metrics including the HTTP latency histogram', async () => {
    await api().get('/health/live').expect(200);
    const response = await api().get('/metrics').expect(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.text).toContain('http_request_duration_seconds_bucket');
    expect(response.text).toMatch(/route="\/health\/live"/);
    expect(response.text).toContain('process_resident_memory_bytes');
  });
});
