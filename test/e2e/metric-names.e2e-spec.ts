import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createSignedInUser, registerUser } from '../factories/user.factory.js';
import { ShutdownState } from '../../src/lifecycle/shutdown-state.js';
import {
  alerts,
  dashboardQueries,
  parseExposition,
  recordingRules,
  rules,
  selectorsIn,
  sourcesOf,
  type Sample,
} from '../support/prometheus-rules.js';
import { SmtpCatcher } from '../support/smtp-catcher.js';
import { useTestApp } from '../support/test-app.js';
import { waitUntil } from '../support/wait.js';

/** Labels Prometheus attaches from the scrape target, not the exposition. */
const TARGET_LABELS = new Set(['job', 'instance']);
/** Series Prometheus writes for every target itself. */
const PROMETHEUS_SERIES = new Set(['up']);

function satisfies(samples: Sample[], label: string, op: string, value: string): boolean {
  return samples.some((sample) => {
    const actual = sample.labels[label];
    if (actual === undefined) return false;
    if (op === '=') return actual === value;
    if (op === '=~') return new RegExp(`^(?:${value})$`).test(actual);
    return true;
  });
}

/**
 * What in a PromQL expression names no exported series: a metric name absent from the exposition,
 * or a label matcher no series satisfies (a negative matcher needs its label to exist). Matchers on
 * a recording rule are checked against the series it is computed from.
 */
function unexportedIn(expr: string, samples: Sample[]): string[] {
  const names = new Set(samples.map((sample) => sample.name));
  return selectorsIn(expr).flatMap(({ name, matchers }) => {
    if (PROMETHEUS_SERIES.has(name)) return [];
    if (!recordingRules.has(name) && !names.has(name)) return [`${name} is not exported`];
    const sources = new Set(sourcesOf(name));
    const sourceSamples = samples.filter((sample) => sources.has(sample.name));
    return matchers
      .filter(
        ({ label, value }) => !TARGET_LABELS.has(label) && value !== '' && !value.includes('$'),
      )
      .filter(({ label, op, value }) => !satisfies(sourceSamples, label, op, value))
      .map(({ label, op, value }) => `${name}{${label}${op}"${value}"} matches no exported series`);
  });
}

describe('the metrics the alert rules and the dashboard query', () => {
  let catcher: SmtpCatcher;
  beforeAll(async () => {
    catcher = await SmtpCatcher.start();
  });
  afterAll(async () => {
    await catcher.stop();
  });

  const service = useTestApp(() => ({
    SMTP_URL: catcher.url,
    OUTBOX_POLL_INTERVAL_MS: '100',
    REFRESH_REUSE_GRACE_S: '0',
  }));
  let samples: Sample[];
  const scrape = async () =>
    parseExposition((await request(service.server).get('/metrics').expect(200)).text);

  /** Traffic that makes every series the rules read appear, as production traffic does. */
  beforeAll(async () => {
    const api = () => request(service.server);
    const user = await createSignedInUser(service.server);
    await catcher.waitForMail(user.email);
    await api()
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: `${user.password}-wrong` })
      .expect(401);
    const rotated = await api()
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: user.tokens.refreshToken })
      .expect(200);
    expect(rotated.body).toHaveProperty('refreshToken');
    await api()
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: user.tokens.refreshToken })
      .expect(401);
    const again = await createSignedInUser(service.server);
    await api().get('/api/v1/users/me').set('Authorization', again.bearer).expect(200);
    await api().get('/api/v1/users/me').set('Authorization', again.bearer).expect(200);
    await api()
      .delete('/api/v1/users/me')
      .set('Authorization', again.bearer)
      .send({ password: again.password })
      .expect(204);
    await api().get('/api/v1/no-such-route').expect(404);
    await api().get('/health/ready').expect(200);

    catcher.rejectWith = 550;
    try {
      await registerUser(service.server);
      await waitUntil('a mail to be given up', async () =>
        (await scrape()).some((sample) => sample.name === 'mail_failed_total'),
      );
    } finally {
      catcher.rejectWith = null;
    }

    // A 5xx for the error-ratio rules: readiness answers 503 once shutdown has begun.
    service.app.get(ShutdownState).begin();
    await api().get('/health/ready').expect(503);
    samples = await scrape();
  });

  it('exports every series an alert or recording rule reads', () => {
    const problems = rules.flatMap((rule) =>
      unexportedIn(rule.expr, samples).map((problem) => `${rule.alert ?? rule.record}: ${problem}`),
    );
    expect(problems).toEqual([]);
    expect(alerts.length).toBeGreaterThanOrEqual(10);
  });

  it("exports every series the dashboard's panels read", () => {
    const queries = dashboardQueries();
    const problems = queries.flatMap(({ panel, expr }) =>
      unexportedIn(expr, samples).map((problem) => `${panel}: ${problem}`),
    );
    expect(problems).toEqual([]);
    expect(queries.length).toBeGreaterThanOrEqual(10);
  });

  it('finds a misspelt metric, label value or recording-rule label in an expression', () => {
    expect(
      unexportedIn(
        'sum by (job) (rate(http_request_duration_seconds_cont{status=~"5.."}[5m])) / on (job) ' +
          'rate(auth_events_total{event="login_failed"}[5m]) and ' +
          'job_method_route:http_requests:rate5m{route="/api/v1/user/me"} or up == 0 ' +
          'or http_request_duration_seconds{route="/api/v1/users/me"}',
        samples,
      ),
    ).toEqual([
      'http_request_duration_seconds_cont is not exported',
      'auth_events_total{event="login_failed"} matches no exported series',
      'job_method_route:http_requests:rate5m{route="/api/v1/user/me"} matches no exported series',
      // A histogram is stored as _bucket, _sum and _count series: its family name selects nothing.
      'http_request_duration_seconds is not exported',
    ]);
  });
});
