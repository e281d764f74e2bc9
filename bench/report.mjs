// Turns a run's results into the stdout table, latest.json, latest.md and the latest.svg chart.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const fixed = (value, digits) =>
  value === null || value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits);
const rps = (value) => (value === null || value === undefined ? '-' : Math.round(value).toString());
const ms = (value) => fixed(value, value !== undefined && value !== null && value < 10 ? 2 : 1);

const targetsFor = (name, targets) => targets.filter((t) => t.scenario === name);

function scenarioRows(results) {
  return Object.entries(results.scenarios).map(([name, s]) => {
    const own = targetsFor(name, results.targets);
    const verdict = own.length === 0 ? '' : own.every((t) => t.pass) ? 'ok' : 'MISS';
    return [
      name,
      String(s.connections),
      rps(s.rps),
      ms(s.p50),
      ms(s.p99),
      String(s.errors),
      rps(s.baselineRps),
      fixed(s.ratio, 3),
      fixed(s.foreignCpuPercent, 0),
      own.map((t) => `${t.op}${t.limit}${t.unit}`).join(', '),
      verdict,
    ];
  });
}

const HEADER = [
  'scenario',
  'conns',
  'req/s',
  'p50 ms',
  'p99 ms',
  'errors',
  'node:http req/s',
  'ratio',
  'other CPU %',
  'target',
  '',
];

function textTable(header, rows) {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
  const line = (row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const markdownTable = (header, rows) =>
  [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');

function measured(value) {
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(value >= 100 ? 0 : value >= 1 ? 1 : 3);
}

function targetRows(results) {
  return results.targets.map((t) => [
    t.label,
    `${t.op} ${t.limit}${t.unit}`,
    t.value === null ? '-' : `${measured(t.value)}${t.unit}`,
    t.pass === null ? 'not measured' : t.pass ? 'ok' : 'MISS',
  ]);
}

function sourceLine(results) {
  const { source } = results;
  if (!source) return 'source not recorded';
  const dirty = source.uncommittedFiles ? ` + ${source.uncommittedFiles} uncommitted file(s)` : '';
  return `commit ${source.commit}${dirty}${source.built ? '' : ' (dist/ not rebuilt)'}`;
}

/** "Node v24.21.0 (production runtime)", or which major production runs instead. */
export function runtimeLabel(runtime) {
  const role = runtime.isProduction
    ? 'production runtime'
    : `not the production runtime, Node ${runtime.productionMajor}`;
  return `Node ${runtime.node} (${role})`;
}

const runtimeOf = (results) =>
  results.runtime ? runtimeLabel(results.runtime) : `Node ${results.machine.node}`;

export function machineLine(results) {
  const m = results.machine;
  const flags = results.settings.nodeOptions
    ? ` (NODE_OPTIONS="${results.settings.nodeOptions}")`
    : '';
  return `${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, ${runtimeOf(results)}${flags}, ${results.generator.name} ${results.generator.version}`;
}

/** The targets are set for the production runtime; a run on another one says so up front. */
function runtimeWarning(results) {
  if (!results.runtime || results.runtime.isProduction) return undefined;
  return (
    `The service ran on ${runtimeLabel(results.runtime)}: the targets are set for ` +
    `Node ${results.runtime.productionMajor}, so MISS here says little (drop --node to use it).`
  );
}

const probeText = (during) =>
  `${during.probe.connections} connections, ${during.probe.delayMs} ms apart`;

function extras(results) {
  const lines = [];
  const { startup, memory, argon2, healthDuringLogin: during } = results;
  lines.push(
    `machine busy before the run (other processes): ${results.machine.busyPercentBeforeRun}%`,
  );
  if (startup) {
    lines.push(
      `cold start to first ready response (connected, migrated): ${startup.coldStartMs.toFixed(0)} ms ` +
        `(median of ${startup.samplesMs.map((v) => v.toFixed(0)).join(', ')} ms)`,
    );
  }
  if (memory) {
    lines.push(
      `RSS at ready ${memory.rssAtReadyMiB.toFixed(1)} MiB; after load ${memory.rssAfterLoadMiB.toFixed(1)} MiB ` +
        `(peak ${memory.peakRssMiB.toFixed(1)} MiB)`,
    );
  }
  if (argon2) {
    lines.push(
      `argon2id (m=${argon2.options.memoryCost} KiB, t=${argon2.options.timeCost}, p=${argon2.options.parallelism}): ` +
        `${argon2.hashMs.toFixed(1)} ms per hash, ${argon2.verifyMs.toFixed(1)} ms per verification (one at a time)`,
    );
  }
  if (during) {
    lines.push(
      `health-live during full login load: p50 ${ms(during.health.p50)} ms, p99 ${ms(during.health.p99)} ms, ` +
        `${rps(during.health.rps)} req/s (${probeText(during)}), errors ${during.health.errors}; ` +
        `logins meanwhile ${rps(during.login.rps)} req/s, p99 ${ms(during.login.p99)} ms, errors ${during.login.errors}; ` +
        `other CPU ${fixed(during.foreignCpuPercent, 0)}%`,
    );
  }
  return lines;
}

export function printReport(results) {
  const lines = [
    '',
    `Benchmark ${results.generatedAt} (${results.mode}) of ${sourceLine(results)} on ${machineLine(results)}`,
    `Median of ${results.settings.rounds} round(s) of ${results.settings.durationS} s after ${results.settings.warmupS} s warm-up; ` +
      'ratio = service req/s / raw node:http req/s, rounds alternating.',
    ...(runtimeWarning(results) ? [`WARNING: ${runtimeWarning(results)}`] : []),
    '',
    textTable(HEADER, scenarioRows(results)),
    '',
    ...extras(results),
    '',
    textTable(['target', 'limit', 'measured', ''], targetRows(results)),
    '',
  ];
  if (results.generator.name === 'autocannon') {
    lines.push(
      'Note: the load came from autocannon (JavaScript), which competes with the server for the ' +
        'CPUs and can cap the baseline, flattering the ratio; install wrk for fair numbers.',
    );
  }
  console.log(lines.join('\n'));
}

function markdown(results) {
  return [
    '# Benchmark results',
    '',
    `${results.generatedAt}, ${results.mode} run of ${sourceLine(results)} on ${machineLine(results)}.`,
    `Connected mode (PostgreSQL + Redis), ${results.settings.users} seeded users. Median of ` +
      `${results.settings.rounds} round(s) of ${results.settings.durationS} s after ${results.settings.warmupS} s ` +
      'warm-up; rounds alternate a raw `node:http` baseline and the service; ratio = service req/s / baseline req/s.',
    '',
    ...(results.generator.name === 'autocannon'
      ? [
          '',
          '**Load from autocannon (JavaScript): it competes for the CPUs; ratios are flattered.**',
        ]
      : []),
    ...(runtimeWarning(results) ? ['', `**${runtimeWarning(results)}**`] : []),
    '',
    '![Service throughput relative to raw node:http](latest.svg)',
    '',
    markdownTable(HEADER.slice(0, -1).concat('verdict'), scenarioRows(results)),
    '',
    ...extras(results).map((line) => `- ${line}`),
    '',
    '## Targets',
    '',
    markdownTable(['target', 'limit', 'measured', 'verdict'], targetRows(results)),
    '',
  ].join('\n');
}

const escapeXml = (text) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function svg(results) {
  const bars = Object.entries(results.scenarios)
    .filter(([, s]) => s.ratio !== null)
    .map(([name, s]) => {
      const target = results.targets.find((t) => t.kind === 'ratio' && t.scenario === name);
      return { name, label: s.label, ratio: s.ratio, target: target?.limit, pass: target?.pass };
    });
  const maxValue =
    Math.ceil((Math.max(...bars.flatMap((b) => [b.ratio, b.target ?? 0])) * 1.15) / 0.05) * 0.05;
  const left = 250;
  const barWidth = 440;
  const rowHeight = 30;
  const top = 70;
  const width = left + barWidth + 90;
  const height = top + bars.length * rowHeight + 50;
  const x = (value) => left + (value / maxValue) * barWidth;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">Service req/s as a fraction of raw node:http (same run)</text>`,
    `<text x="12" y="42" fill="#444">${escapeXml(`${results.generatedAt.slice(0, 10)}, ${machineLine(results)}`)}</text>`,
    `<text x="12" y="58" fill="#444">${escapeXml(`${sourceLine(results)}, connected mode, ${results.settings.connections} connections (login ${results.settings.loginConnections}), median of ${results.settings.rounds} round(s); | = target`)}</text>`,
  ];
  for (let tick = 0; tick <= maxValue + 1e-9; tick += maxValue / 5) {
    parts.push(
      `<line x1="${x(tick).toFixed(1)}" y1="${top - 4}" x2="${x(tick).toFixed(1)}" y2="${top + bars.length * rowHeight}" stroke="#e5e5e5"/>`,
      `<text x="${x(tick).toFixed(1)}" y="${top + bars.length * rowHeight + 16}" text-anchor="middle" fill="#666">${tick.toFixed(2)}</text>`,
    );
  }
  bars.forEach((bar, index) => {
    const y = top + index * rowHeight;
    const colour = bar.pass === false ? '#d9534f' : bar.pass ? '#3c9d5d' : '#6c8ebf';
    parts.push(
      `<text x="${left - 8}" y="${y + 19}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${left}" y="${y + 6}" width="${(x(bar.ratio) - left).toFixed(1)}" height="18" fill="${colour}"/>`,
      `<text x="${(x(bar.ratio) + 4).toFixed(1)}" y="${y + 19}">${bar.ratio.toFixed(3)}</text>`,
    );
    if (bar.target !== undefined) {
      parts.push(
        `<line x1="${x(bar.target).toFixed(1)}" y1="${y + 2}" x2="${x(bar.target).toFixed(1)}" y2="${y + 28}" stroke="#222" stroke-width="2"/>`,
      );
    }
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

function roundNumbers(_key, value) {
  if (typeof value !== 'number' || Number.isInteger(value)) return value;
  return Math.abs(value) >= 1 ? Math.round(value * 1000) / 1000 : Number(value.toPrecision(4));
}

/** Writes latest.json, latest.md and latest.svg (each through a temporary file and a rename). */
export function writeReport(results, directory) {
  mkdirSync(directory, { recursive: true });
  const files = {
    'latest.json': `${JSON.stringify(results, roundNumbers, 2)}\n`,
    'latest.md': markdown(results),
    'latest.svg': svg(results),
  };
  for (const [name, content] of Object.entries(files)) {
    const target = path.join(directory, name);
    writeFileSync(`${target}.tmp`, content);
    renameSync(`${target}.tmp`, target);
  }
  return Object.keys(files).map((name) => path.join(directory, name));
}
