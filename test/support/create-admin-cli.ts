import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Environment } from './test-app.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface CliRun {
  code: number | null;
  output: string;
}

/**
 * The built admin CLI (`dist/`, built by `npm test`) as an operator runs it, on `env` alone, with
 * `password` typed on standard input.
 */
export function runCreateAdminCli(
  env: Environment,
  args: string[],
  password: string,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/auth/create-admin.cli.js', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(`${password}\n`);
  });
}
