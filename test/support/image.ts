import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Environment } from './test-app.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ImageConfig {
  Env: string[];
  WorkingDir: string;
  User: string;
  Cmd: string[];
  StopSignal?: string;
}

export interface CommandResult {
  code: number | null;
  output: string;
}

/** Whether podman can build and this process can chroot (root); the image test needs both. */
export function canBuildImages(): boolean {
  return (
    process.getuid?.() === 0 &&
    spawnSync('podman', ['--version'], { stdio: 'ignore' }).status === 0 &&
    spawnSync('chroot', ['--version'], { stdio: 'ignore' }).status === 0
  );
}

/** Runs a command to its end; rejects with its output unless it exits 0. */
export function run(
  command: string,
  args: string[],
  options: { stdin?: string; cwd?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output.slice(-4000)}`)),
    );
    child.stdin.end(options.stdin ?? '');
  });
}

/**
 * A built image's file system, exported to a directory, and its configuration: commands run in it
 * as the image would run them (its USER, its Env plus `env` alone, its WorkingDir) through chroot,
 * on the host's network.
 */
export class ImageFilesystem {
  constructor(
    readonly rootfs: string,
    readonly config: ImageConfig,
  ) {}

  static async export(image: string, rootfs: string): Promise<ImageFilesystem> {
    const [inspected] = JSON.parse(await run('podman', ['image', 'inspect', image])) as [
      { Config: ImageConfig },
    ];
    const container = (await run('podman', ['create', image])).trim().split('\n').at(-1)!;
    try {
      await run('sh', ['-c', 'podman export "$1" | tar -x -C "$2"', 'sh', container, rootfs]);
    } finally {
      await run('podman', ['rm', container]);
    }
    return new ImageFilesystem(rootfs, inspected.Config);
  }

  /** Spawns `argv` (the image's CMD by default) in the image's file system. */
  spawn(env: Environment, argv: string[] = this.config.Cmd): ChildProcess {
    const variables = Object.entries(env)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([name, value]) => `${name}=${value}`);
    return spawn(
      'chroot',
      [
        `--userspec=${this.config.User}:${this.config.User}`,
        this.rootfs,
        '/usr/bin/env',
        '-i',
        ...this.config.Env,
        ...variables,
        '/bin/sh',
        '-c',
        'cd "$0" && exec "$@"',
        this.config.WorkingDir,
        ...argv,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
  }

  /** Runs `argv` to its end in the image's file system, with `stdin` typed in. */
  run(env: Environment, argv: string[], stdin = ''): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = this.spawn(env, argv);
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
      child.stdin?.end(stdin);
    });
  }
}

/** Bytes the image's own layers add on top of `base` (podman history, newest first). */
export async function bytesAddedTo(image: string, base: string): Promise<number> {
  const history = async (name: string) =>
    JSON.parse(await run('podman', ['history', '--format', 'json', name])) as { size: number }[];
  const [own, inherited] = [await history(image), await history(base)];
  return own
    .slice(0, own.length - inherited.length)
    .reduce((total, layer) => total + layer.size, 0);
}
