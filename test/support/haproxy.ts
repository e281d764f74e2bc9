import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isListening } from './pgbouncer.js';
import { closedPort } from './tcp-proxy.js';
import { waitUntil } from './wait.js';

export const HAPROXY = '/usr/sbin/haproxy';

export function isHaProxyInstalled(): boolean {
  return spawnSync(HAPROXY, ['-v']).status === 0;
}

/** The health check's timing; a replica is out of rotation within about CHECK_INTERVAL_MS. */
export const CHECK_INTERVAL_MS = 250;

/**
 * The load balancer in front of the replicas, configured as for a rolling update: readiness
 * checks that take a replica out after one failure and back after one success, a retry on
 * another replica when a connection cannot be made (always safe: nothing was sent), and a
 * retry of reads only when a server closed the connection without answering (a POST may have
 * been carried out: login, refresh and PATCH are not retried).
 */
export function haproxyConfig(port: number, socket: string, backends: number[]): string {
  return `global
  maxconn 4000
  stats socket ${socket} mode 600 level admin

defaults
  mode http
  log stdout format raw local0
  option httplog
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  timeout check 2s
  timeout http-keep-alive 30s

frontend api
  bind 127.0.0.1:${port}
  log global
  default_backend replicas

backend replicas
  balance leastconn
  option httpchk GET /health/ready
  http-check expect status 200
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response response-timeout
  http-request disable-l7-retry if !METH_GET
  http-response set-header X-Served-By %s
  default-server inter ${CHECK_INTERVAL_MS}ms fall 1 rise 1
${backends.map((backend, index) => `  server r${index + 1} 127.0.0.1:${backend} check`).join('\n')}
`;
}

/** A server's status column in `show stat`: UP, DOWN, MAINT, NOLB, or UP/DOWN with a transition. */
export type ServerStatus = string;

/** Debian's HAProxy on a free loopback port, balancing over the given ports. */
export class HaProxy {
  output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    readonly config: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  static async start(backends: number[]): Promise<HaProxy> {
    const dir = await mkdtemp(path.join(tmpdir(), 'uas-haproxy-'));
    const port = await closedPort();
    const config = haproxyConfig(port, path.join(dir, 'admin.sock'), backends);
    const configFile = path.join(dir, 'haproxy.cfg');
    await writeFile(configFile, config);
    const child = spawn(HAPROXY, ['-db', '-f', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const haproxy = new HaProxy(child, dir, port, config);
    await waitUntil(
      `HAProxy to listen (output so far:\n${haproxy.output})`,
      () => isListening(port),
      10_000,
    );
    return haproxy;
  }

  url(pathname: string): string {
    return `http://127.0.0.1:${this.port}${pathname}`;
  }

  /** Each server's status (r1, r2, ...) from the stats socket. */
  async statuses(): Promise<Record<string, ServerStatus>> {
    const csv = await this.command('show stat');
    const [header, ...rows] = csv.trim().split('\n');
    const columns = header.replace(/^# /, '').split(',');
    const name = columns.indexOf('svname');
    const status = columns.indexOf('status');
    return Object.fromEntries(
      rows
        .map((row) => row.split(','))
        .filter((fields) => /^r\d+$/.test(fields[name]))
        .map((fields) => [fields[name], fields[status]]),
    );
  }

  async waitForStatus(server: string, status: ServerStatus, timeoutMs = 30_000): Promise<void> {
    await waitUntil(
      `HAProxy to see ${server} ${status}`,
      async () => (await this.statuses())[server] === status,
      timeoutMs,
    );
  }

  private command(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let answer = '';
      const socket = net.connect(path.join(this.dir, 'admin.sock'));
      socket.on('connect', () => socket.end(`${command}\n`));
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
