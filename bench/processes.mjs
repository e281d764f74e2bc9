// The processes the benchmark starts: the build, the service, the raw node:http baseline.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer, get as httpGet } from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundle, compile, entry, root } from '../scripts/build.mjs';

export { root };

// The Node binary that runs the service and the baseline (`--node`); the build and the harness
// use the one running this script.
let runtime = process.execPath;
export function useRuntime(binary) {
  runtime = binary;
}

/** `npm run build`, in this process: tsc via the Nest CLI, then the bundle the service runs. */
export async function build() {
  compile();
  await bundle();
}

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function getStatus(url) {
  return new Promise((resolve) => {
    const request = httpGet(url, { agent: false, timeout: 1000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

/** Resident and peak resident memory of a process, in MiB (Linux). */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
}

function tail(file, lines = 40) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** A started child process that stops on SIGTERM (SIGKILL after `graceMs`). */
class ChildProcess {
  constructor(child, logFile) {
    this.child = child;
    this.logFile = logFile;
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    this.hasExited = false;
    void this.exited.then(() => (this.hasExited = true));
  }

  get pid() {
    return this.child.pid;
  }

  async stop(graceMs = 20_000) {
    if (this.hasExited) return this.exited;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const outcome = await this.exited;
    clearTimeout(killer);
    return outcome;
  }
}

/**
 * Spawns `node [nodeArgs] dist/bundle/main.js` (what the image runs), its output appended to `logFile`, and waits for the first
 * 200 from /health/ready. `coldStartMs` runs from the spawn to that answer.
 */
export async function startService({ env, port, logFile, nodeArgs = [], timeoutMs = 60_000 }) {
  const output = openSync(logFile, 'a');
  const started = performance.now();
  const child = spawn(runtime, [...nodeArgs, entry], {
    cwd: root,
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', output, output],
  });
  closeSync(output);
  const service = new ChildProcess(child, logFile);
  const readyUrl = `http://127.0.0.1:${port}/health/ready`;
  while (performance.now() - started < timeoutMs) {
    if (service.hasExited) {
      throw new Error(`the service exited during startup; log tail:\n${tail(logFile)}`);
    }
    if ((await getStatus(readyUrl)) === 200) {
      service.coldStartMs = performance.now() - started;
      service.memoryAtReady = memoryOf(child.pid);
      return service;
    }
    await sleep(5);
  }
  await service.stop();
  throw new Error(`the service was not ready within ${timeoutMs} ms; log tail:\n${tail(logFile)}`);
}

export async function startBaseline(port) {
  const child = spawn(runtime, [path.join(import.meta.dirname, 'baseline-server.mjs')], {
    env: { PATH: process.env.PATH, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const server = new ChildProcess(child);
  for (let attempt = 0; attempt < 500; attempt += 1) {
    if (server.hasExited) throw new Error('the baseline server exited at startup');
    if ((await getStatus(`http://127.0.0.1:${port}/`)) === 200) return server;
    await sleep(10);
  }
  await server.stop();
  throw new Error('the baseline server did not answer');
}

function cpuTimes() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1);
  const values = fields.map(Number);
  return { idle: values[3] + values[4], total: values.reduce((a, b) => a + b, 0) };
}

/** How busy the whole machine is over `ms` (percent of all CPUs), while the benchmark is idle. */
export async function machineBusyPercent(ms = 2000) {
  const before = cpuTimes();
  await sleep(ms);
  const after = cpuTimes();
  return 100 * (1 - (after.idle - before.idle) / (after.total - before.total));
}
