import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import net from 'node:net';
import { closedPort } from './tcp-proxy.js';

const execFileAsync = promisify(execFile);

/** A throwaway redis-server on a free loopback port, killed and restarted at will. */
export class ThrowawayRedis {
  private process: ChildProcess | undefined;
  port = 0;

  /**
   * `extraArgs`: more `redis-server` options, e.g. `['--maxmemory', '2mb']`; `configFile`: a
   * configuration file read first (Sentinel mode needs one it can rewrite).
   */
  constructor(
    private readonly extraArgs: string[] = [],
    private readonly configFile?: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get isRunning(): boolean {
    return this.process !== undefined && this.process.exitCode === null;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await closedPort();
    this.process = spawn(
      'redis-server',
      [
        ...(this.configFile ? [this.configFile] : []),
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        ...this.extraArgs,
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(this.port, 10_000);
  }

  /** SIGKILL: no goodbye to clients, as in a crash. */
  async kill(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/** Sends one command with redis-cli (which Debian's redis-tools installs beside redis-server). */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('redis-cli', [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    ...args,
  ]);
  return stdout.trim();
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const isOpen = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (isOpen) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`);
}
