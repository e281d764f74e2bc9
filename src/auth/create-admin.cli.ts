// Creates the first admin (or promotes an existing account), on the configured database:
//   npm run user:create-admin -- --email admin@example.com [--reactivate]
// A disabled account is re-enabled only with --reactivate (startup never re-enables one).
// The password comes from standard input, or ADMIN_PASSWORD when ADMIN_EMAIL is set too (the
// configuration wants both or neither); never from the command line, where other users of the
// machine could read it.
import 'reflect-metadata';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import { loadAppConfig, readProcessEnvironment } from '../config/app-config.js';
import { AdminBootstrap } from './admin-bootstrap.js';

async function readPassword(): Promise<string> {
  const fromEnvironment = loadAppConfig(readProcessEnvironment()).admin.password;
  if (fromEnvironment) return fromEnvironment;
  const prompt = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  if (process.stdin.isTTY) process.stderr.write('Password: ');
  const line = await prompt[Symbol.asyncIterator]().next();
  prompt.close();
  return typeof line.value === 'string' ? line.value : '';
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { email: { type: 'string' }, reactivate: { type: 'boolean', default: false } },
  });
  if (!values.email) {
    console.error(
      'usage: npm run user:create-admin -- --email <address> [--reactivate]   ' +
        '(password: standard input)',
    );
    return 2;
  }
  const password = await readPassword();
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  try {
    const outcome = await app
      .get(AdminBootstrap)
      .ensureAdmin(values.email, password, { reactivate: values.reactivate });
    if (outcome === 'left_disabled') {
      console.error(
        `Admin ${values.email}: the account is disabled; left disabled. ` +
          'Run again with --reactivate to enable it as an admin (its sessions end).',
      );
      return 1;
    }
    console.log(`Admin ${values.email}: ${outcome}`);
    return 0;
  } finally {
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
