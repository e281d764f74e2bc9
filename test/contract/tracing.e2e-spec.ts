import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildUser } from '../factories/user.factory.js';
import type { BuiltService } from '../support/built-service.js';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { useTestEnvironment } from '../support/test-app.js';
import { waitUntil } from '../support/wait.js';

const SPAN_KIND_SERVER = 2;

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** A caller's W3C trace context: a new trace id and the caller's own span id. */
function callerContext() {
  const traceId = randomBytes(16).toString('hex');
  const parentSpanId = randomBytes(8).toString('hex');
  return { traceId, parentSpanId, traceparent: `00-${traceId}-${parentSpanId}-01` };
}

const scopeOf = (span: ReceivedSpan) => span.scope.replace('@opentelemetry/instrumentation-', '');

type LogLine = Record<string, unknown>;

/** The first log line of the service that `matches`, waiting for it: it is written at 'finish'. */
async function logLine(service: BuiltService, matches: (line: LogLine) => boolean) {
  const find = () =>
    service.output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine)
      .find(matches);
  await waitUntil('the log line', () => Promise.resolve(find() !== undefined));
  return find();
}

const RECORDER = path.resolve(import.meta.dirname, '../support/loaded-modules.mjs');

/** Runs `work` with a file for loaded-modules.mjs to fill, and returns the modules it lists. */
async function recordingModules(work: (file: string) => Promise<void>): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'uas-modules-'));
  const file = path.join(dir, 'loaded.txt');
  try {
    await work(file);
    return (await readFile(file, 'utf8')).split('\n').filter(Boolean);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('tracing on (OTEL_EXPORTER_OTLP_ENDPOINT set), the built service', () => {
  const handle = useTestEnvironment();
  let receiver: OtlpReceiver;
  let service: BuiltService;
  let modulesDir: string;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    modulesDir = await mkdtemp(path.join(tmpdir(), 'uas-modules-'));
    service = await handle.environment.startBuiltService({
      NODE_OPTIONS: `--import ${RECORDER}`,
      LOADED_MODULES_FILE: path.join(modulesDir, 'loaded.txt'),
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_SERVICE_NAME: 'uas-tracing-test',
      // Read by the SDK itself: JSON for the stand-in collector, batches sent every 100 ms.
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
  });

  afterAll(async () => {
    await receiver.close();
    await rm(modulesDir, { recursive: true, force: true });
  });

  it("continues the caller's trace through HTTP, Express, pg and Redis spans", async () => {
    const user = buildUser();
    expect((await fetch(service.url('/api/v1/auth/register'), json(user))).status).toBe(201);
    const caller = callerContext();

    const login = await fetch(
      service.url('/api/v1/auth/login'),
      json({ email: user.email, password: user.password }, { traceparent: caller.traceparent }),
    );

    expect(login.status).toBe(200);
    await waitUntil('the login spans of every instrumentation', () => {
      const scopes = new Set(receiver.trace(caller.traceId).map(scopeOf));
      return Promise.resolve(
        ['http', 'express', 'pg', 'redis'].every((scope) => scopes.has(scope)),
      );
    });
    const spans = receiver.trace(caller.traceId);
    const server = spans.find((span) => span.kind === SPAN_KIND_SERVER);
    expect(server).toMatchObject({
      scope: '@opentelemetry/instrumentation-http',
      name: 'POST /api/v1/auth/login',
      parentSpanId: caller.parentSpanId,
      attributes: expect.objectContaining({ 'http.route': '/api/v1/auth/login' }),
    });
    expect(spans.filter((span) => scopeOf(span) === 'pg').map((span) => span.name)).toContain(
      `pg.query:SELECT ${handle.environment.database.name}`,
    );
    // Query parameters stay out of spans: they hold addresses and password hashes.
    expect(JSON.stringify(receiver.spans)).not.toContain(user.email);
    expect(JSON.stringify(receiver.spans)).not.toContain(user.password);

    const access = await logLine(
      service,
      (line) => line.path === '/api/v1/auth/login' && line.trace_id === caller.traceId,
    );
    expect(access).toMatchObject({ status: 200, span_id: server?.spanId });
  });

  it('answers a problem with the trace id, which its access log line carries too', async () => {
    const caller = callerContext();

    const refused = await fetch(
      service.url('/api/v1/auth/login'),
      json(
        { email: 'nobody@example.com', password: 'Not-the-password-42' },
        { traceparent: caller.traceparent },
      ),
    );

    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({
      code: 'AUTH_INVALID_CREDENTIALS',
      traceId: caller.traceId,
    });
    const access = await logLine(
      service,
      (line) => line.path === '/api/v1/auth/login' && line.status === 401,
    );
    expect(access).toMatchObject({ trace_id: caller.traceId });
  });

  it('starts a new trace for a request without traceparent, and skips probes', async () => {
    const response = await fetch(service.url('/api/v1/users/me'));
    expect(response.status).toBe(401);
    const { traceId } = (await response.json()) as { traceId: string };
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    await waitUntil('the spans of the new trace', () =>
      Promise.resolve(receiver.trace(traceId).some((span) => span.kind === SPAN_KIND_SERVER)),
    );
    expect((await fetch(service.url('/health/ready'))).status).toBe(200);
    expect(receiver.spans.some((span) => span.name.includes('/health/'))).toBe(false);
  });

  // The runtime image needs no OpenTelemetry package: the SDK is bundled into tracing.js.
  it('loads the SDK from its bundle and the instrumented packages from node_modules, and exits 0', async () => {
    expect(await service.stop()).toEqual({ code: 0, signal: null });

    const loaded = (await readFile(path.join(modulesDir, 'loaded.txt'), 'utf8'))
      .split('\n')
      .filter(Boolean);
    for (const bundled of ['/dist/bundle/tracing.js', '/dist/bundle/app-traced.js']) {
      expect(loaded.some((module) => module.endsWith(bundled))).toBe(true);
    }
    for (const external of ['/node_modules/express/', '/node_modules/@redis/client/']) {
      expect(loaded.some((module) => module.includes(external))).toBe(true);
    }
    expect(loaded.filter((module) => /\/node_modules\/@opentelemetry\//.test(module))).toEqual([]);
  });
});

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT), the built service', () => {
  const handle = useTestEnvironment();

  it('loads no OpenTelemetry module and runs the single bundle', async () => {
    const loaded = await recordingModules(async (file) => {
      const service = await handle.environment.startBuiltService({
        NODE_OPTIONS: `--import ${RECORDER}`,
        LOADED_MODULES_FILE: file,
      });
      const user = buildUser();
      expect((await fetch(service.url('/api/v1/auth/register'), json(user))).status).toBe(201);
      const login = await fetch(
        service.url('/api/v1/auth/login'),
        json({ email: user.email, password: user.password }),
      );
      expect(login.status).toBe(200);
      expect(await login.json()).not.toHaveProperty('traceId');
      expect(await service.stop()).toEqual({ code: 0, signal: null });
    });

    expect(loaded.some((module) => module.endsWith('/dist/bundle/app.js'))).toBe(true);
    const unwanted = loaded.filter((module) =>
      /@opentelemetry|-in-the-middle|\/dist\/bundle\/(tracing|app-traced)\.js|\/node_modules\/(express|@redis\/client)\//.test(
        module,
      ),
    );
    expect(unwanted).toEqual([]);
  });
});
