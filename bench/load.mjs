// Drives load from a separate process: wrk when installed, else autocannon in a worker process.
// Both report the same line, turned here into { rps, p50, p99 (ms), non2xx, socketErrors, errors }.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { cpuSnapshot, foreignCpu } from './cpu-accounting.mjs';

const here = import.meta.dirname;

/** The generator to use: `wrk` when it is on the PATH (or forced), else `autocannon`. */
export function detectGenerator(requested) {
  const wrk = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  const hasWrk = !wrk.error;
  if (requested === 'wrk' && !hasWrk) throw new Error('--generator=wrk but wrk is not installed');
  if (requested === 'autocannon' || !hasWrk) {
    const { version } = JSON.parse(
      spawnSync(process.execPath, ['-p', 'JSON.stringify(require("autocannon/package.json"))'], {
        cwd: path.resolve(here, '..'),
        encoding: 'utf8',
      }).stdout,
    );
    return { name: 'autocannon', version };
  }
  const banner = `${wrk.stdout}${wrk.stderr}`.split('\n')[0];
  return { name: 'wrk', version: /wrk\s+(\S+)/.exec(banner)?.[1] ?? 'unknown' };
}

function collect(child) {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((item) => item.startsWith('BENCH_JSON '));
      if (code !== 0 || !line) {
        reject(new Error(`load generator failed (exit ${code}): ${stderr || stdout}`.trim()));
        return;
      }
      resolve(JSON.parse(line.slice('BENCH_JSON '.length)));
    });
  });
}

const requestLine = ({ method, path: target, body = '', headers = {} }) =>
  [method, target, body, ...Object.entries(headers).flat()].join('\t');

/**
 * One load run. `job`: { url, connections, durationS, requests: [{method, path, headers, body}],
 * chain?: { template, tokens, field }, unique?: { template }, delayMs? }. With `unique`, every
 * request is the template with "%UNIQUE%" in its body replaced by a value no other request of the
 * run uses (the run's id, the wrk thread and a counter). `workDir` holds the generator's input files.
 */
export async function runLoad(generator, job, workDir, { threads = 1 } = {}) {
  const id = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const before = cpuSnapshot();
  let raw;
  if (generator.name === 'wrk') {
    const requestsFile = path.join(workDir, `requests-${id}.tsv`);
    const template = job.chain?.template ?? job.unique?.template;
    const lines = template ? [requestLine(template)] : job.requests.map(requestLine);
    writeFileSync(requestsFile, `${lines.join('\n')}\n`);
    const env = {
      ...process.env,
      BENCH_REQUESTS: requestsFile,
      BENCH_THREADS: String(threads),
      BENCH_DELAY_MS: String(job.delayMs ?? 0),
    };
    // Each wrk process gets its own prefix: warm-up and rounds never repeat a value.
    if (job.unique) env.BENCH_UNIQUE = id;
    if (job.chain) {
      env.BENCH_TOKENS = path.join(workDir, `tokens-${id}.txt`);
      env.BENCH_CHAIN_FIELD = job.chain.field;
      writeFileSync(env.BENCH_TOKENS, `${job.chain.tokens.join('\n')}\n`);
    }
    const args = [
      `-t${threads}`,
      `-c${job.connections}`,
      `-d${job.durationS}s`,
      '--timeout',
      '10s',
      '-s',
      path.join(here, 'wrk', 'requests.lua'),
      job.url,
    ];
    raw = await collect(spawn('wrk', args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  } else {
    const jobFile = path.join(workDir, `job-${id}.json`);
    const withPrefix = job.unique ? { ...job, unique: { ...job.unique, prefix: id } } : job;
    writeFileSync(jobFile, JSON.stringify(withPrefix));
    raw = await collect(
      spawn(process.execPath, [path.join(here, 'autocannon-worker.mjs'), jobFile], {
        cwd: path.resolve(here, '..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  }
  const { foreignPercent, stealPercent } = foreignCpu(before, cpuSnapshot());
  const socketErrors = raw.connectErrors + raw.readErrors + raw.writeErrors + raw.timeouts;
  return {
    requests: raw.requests,
    rps: raw.requests / (raw.durationUs / 1e6),
    p50: raw.p50Us / 1000,
    p99: raw.p99Us / 1000,
    max: raw.maxUs / 1000,
    non2xx: raw.non2xx,
    socketErrors,
    errors: raw.non2xx + socketErrors,
    foreignCpuPercent: foreignPercent,
    stealPercent,
  };
}

/** Tokens the refresh chain needs: one per connection, plus one per wrk thread for its dry run. */
export function chainTokensNeeded(connections, threads = 1) {
  return connections + threads + 1;
}
