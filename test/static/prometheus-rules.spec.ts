import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse, stringify } from 'yaml';
import { apiContainer, itRendered, mebibytes, root } from '../support/deploy-files.js';
import {
  alerts,
  dashboard,
  dashboardQueries,
  recordingRules,
  rulesFile,
  ruleTestFiles,
} from '../support/prometheus-rules.js';

const PROMTOOL = process.env.PROMTOOL_PATH ?? 'promtool';

function promtool(...args: string[]): { status: number | null; output: string; missing: boolean } {
  const result = spawnSync(PROMTOOL, args, { encoding: 'utf8' });
  const missing =
    result.error !== undefined && 'code' in result.error && result.error.code === 'ENOENT';
  return { status: result.status, output: `${result.stdout}${result.stderr}`, missing };
}

const hasPromtool = !promtool('--version').missing;
if (!hasPromtool && process.env.CI === 'true') {
  throw new Error('CI=true but promtool was not found (Debian: apt-get install prometheus)');
}
if (!hasPromtool) {
  console.warn(
    'promtool not found: the Prometheus rule checks are skipped (apt-get install prometheus)',
  );
}
const describeWithPromtool = hasPromtool ? describe : describe.skip;

interface RuleTest {
  alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }>;
}

describeWithPromtool('Prometheus rules, checked by promtool', () => {
  it('pass promtool check rules', () => {
    const result = promtool('check', 'rules', rulesFile);
    expect({ status: result.status, output: result.output }).toMatchObject({ status: 0 });
  });

  it('pass their unit tests (promtool test rules)', () => {
    const result = promtool('test', 'rules', ...ruleTestFiles);
    expect({ status: result.status, output: result.output }).toMatchObject({ status: 0 });
  });

  it("parse every dashboard query as PromQL (Grafana's $__rate_interval as 5m)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'uas-dashboard-'));
    try {
      const file = path.join(dir, 'dashboard-queries.yml');
      const queries = dashboardQueries().map(({ expr }, index) => ({
        record: `dashboard:query_${index}`,
        expr: expr.replaceAll('$__rate_interval', '5m'),
      }));
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules: queries }] }));
      const result = promtool('check', 'rules', file);
      expect({ status: result.status, output: result.output }).toMatchObject({ status: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('alerts.yml', () => {
  it('gives every alert a for, a severity, a summary, a description and its README runbook', () => {
    const incomplete = alerts.filter(
      (alert) =>
        !alert.for ||
        !['critical', 'warning'].includes(alert.labels?.severity ?? '') ||
        !alert.annotations?.summary ||
        !alert.annotations.description ||
        alert.annotations.runbook !==
          `https://github.com/your-org/user-auth-service#runbook-${alert.alert!.toLowerCase()}`,
    );
    expect(incomplete.map((alert) => alert.alert)).toEqual([]);
  });

  it('has a README runbook section for every alert, where its runbook link points', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const headings = new Set(
      [...readme.matchAll(/^#### Runbook: (\S+)$/gm)].map((match) => match[1]),
    );
    expect(alerts.map((alert) => alert.alert).filter((name) => !headings.has(name!))).toEqual([]);
    // A runbook for an alert that no longer exists misleads whoever searches the README.
    expect([...headings].filter((name) => !alerts.some((alert) => alert.alert === name))).toEqual(
      [],
    );
  });

  it('tests every alert both firing and quiet', () => {
    const cases = ruleTestFiles.flatMap((file) =>
      ((parse(readFileSync(file, 'utf8')) as { tests: RuleTest[] }).tests ?? []).flatMap(
        (test) => test.alert_rule_test ?? [],
      ),
    );
    const untested = alerts.flatMap(({ alert }) => {
      const own = cases.filter((entry) => entry.alertname === alert);
      return [
        ...(own.some((entry) => (entry.exp_alerts ?? []).length > 0) ? [] : [`${alert} firing`]),
        ...(own.some((entry) => (entry.exp_alerts ?? []).length === 0) ? [] : [`${alert} quiet`]),
      ];
    });
    expect(untested).toEqual([]);
  });

  itRendered("states the container memory limit of the Deployment's API container", () => {
    const limit = apiContainer.resources?.limits?.memory;
    expect(recordingRules.get('job:container_memory_limit_bytes')).toBe(
      `label_replace(vector(${mebibytes(String(limit)) * 1024 * 1024}), "job", "user-auth-service", "", "")`,
    );
  });
});

describe('deploy/grafana/dashboard.json', () => {
  it('is an importable dashboard on a ${DS_PROMETHEUS} data source input', () => {
    expect(dashboard).toMatchObject({ uid: 'user-auth-service', schemaVersion: 39 });
    expect(dashboard.__inputs).toEqual([
      expect.objectContaining({
        name: 'DS_PROMETHEUS',
        type: 'datasource',
        pluginId: 'prometheus',
      }),
    ]);
    const dataSources: unknown[] = [];
    JSON.stringify(dashboard.panels, (key, value: unknown) => {
      if (key === 'datasource') dataSources.push(value);
      return value;
    });
    expect(dataSources.length).toBeGreaterThan(dashboardQueries().length);
    expect(dataSources).toEqual(
      dataSources.map(() => ({ type: 'prometheus', uid: '${DS_PROMETHEUS}' })),
    );
  });
});
