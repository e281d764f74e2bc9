import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TEST_DATABASE_SERVER_URL } from './environment.js';
import { closedPort } from './tcp-proxy.js';
import { waitUntil } from './wait.js';

export const PGBOUNCER = '/usr/sbin/pgbouncer';

export function isPgBouncerInstalled(): boolean {
  return spawnSync(PGBOUNCER, ['--version']).status === 0;
}

/**
 * A throwaway PgBouncer (Debian's) in front of the test PostgreSQL server, in transaction mode,
 * trusting the test server's user: every database name is passed through.
 */
export class PgBouncer {
  output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    private readonly user: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  static async start(poolSize: number): Promise<PgBouncer> {
    const server = new URL(TEST_DATABASE_SERVER_URL);
    const user = decodeURIComponent(server.username || 'postgres');
    const dir = await mkdtemp(path.join(tmpdir(), 'uas-pgbouncer-'));
    // PgBouncer refuses to run as root; it switches to the database user, who must read these.
    await chmod(dir, 0o755);
    const port = await closedPort();
    const config = [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 500',
      'log_connections = 0',
      'log_disconnections = 0',
    ].join('\n');
    const configFile = path.join(dir, 'pgbouncer.ini');
    await writeFile(configFile, `${config}\n`, { mode: 0o644 });
    await writeFile(path.join(dir, 'users.txt'), `"${user}" ""\n`, { mode: 0o644 });
    const asUser = process.getuid?.() === 0 ? ['-u', user] : [];
    const child = spawn(PGBOUNCER, [...asUser, configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pgbouncer = new PgBouncer(child, dir, port, user);
    await waitUntil(
      `PgBouncer to listen (output so far:\n${pgbouncer.output})`,
      () => isListening(port),
      10_000,
    );
    return pgbouncer;
  }

  /** A URL to `database` through the pooler. */
  url(database: string): string {
    return `postgres://${encodeURIComponent(this.user)}@127.0.0.1:${this.port}/${database}`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGINT');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
