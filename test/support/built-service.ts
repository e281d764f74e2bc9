import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { closedPort } from './tcp-proxy.js';
import type { Environment } from './test-app.js';
import { waitUntil } from './wait.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const BUILT_ENTRY = path.join(ROOT, 'dist', 'bundle', 'main.js');

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The built service (`node dist/bundle/main.js`) as its own process, as the image runs it. */
export class BuiltService {
  output = '';
  private readonly exited: Promise<ExitStatus>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Spawns the service (on `port`, or a free one); does not wait for it (see `waitUntilReady`). */
  static async spawn(
    env: Environment,
    node = process.execPath,
    port?: number,
  ): Promise<BuiltService> {
    port ??= await closedPort();
    const child = spawn(node, [BUILT_ENTRY], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        HOST: '127.0.0.1',
        PORT: String(port),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new BuiltService(child, port);
  }

  static async start(env: Environment, node = process.execPath): Promise<BuiltService> {
    const service = await BuiltService.spawn(env, node);
    await service.waitUntilReady();
    return service;
  }

  url(pathname: string): string {
    return `http://127.0.0.1:${this.port}${pathname}`;
  }

  async waitUntilReady(timeoutMs = 60_000): Promise<void> {
    await waitUntil(
      `the built service to be ready (output so far:\n${this.output.slice(-2000)})`,
      async () => {
        if (this.child.exitCode !== null) {
          throw new Error(`service exited ${this.child.exitCode}:\n${this.output}`);
        }
        return fetch(this.url('/health/ready')).then(
          (response) => response.status === 200,
          () => false,
        );
      },
      timeoutMs,
    );
  }

  exit(): Promise<ExitStatus> {
    return this.exited;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitStatus> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
