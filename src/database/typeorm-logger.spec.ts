import { afterEach, describe, expect, it } from '@jest/globals';
import { Logger, type LoggerService } from '@nestjs/common';
import type { Logger as TypeOrmLoggerContract } from 'typeorm';
import { TypeOrmLogger } from './typeorm-logger.js';

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g';

function captureNestLogs(): unknown[][] {
  const calls: unknown[][] = [];
  const record = (...args: unknown[]) => void calls.push(args);
  const capture: LoggerService = {
    log: record,
    warn: record,
    error: record,
    debug: record,
    verbose: record,
  };
  Logger.overrideLogger(capture);
  return calls;
}

describe('TypeOrmLogger', () => {
  afterEach(() => {
    Logger.overrideLogger(false);
  });

  it('logs a failed or slow query by its SQL text and error message, never its parameters', () => {
    const calls = captureNestLogs();
    const logger: TypeOrmLoggerContract = new TypeOrmLogger();

    logger.logQueryError(
      Object.assign(new Error('new row for relation "users" violates check constraint "c"'), {
        code: '23514',
      }),
      'INSERT INTO "users"("email", "password_hash") VALUES ($1, $2)',
      ['ada@example.com', HASH],
    );
    logger.logQuerySlow(900, 'UPDATE "sessions" SET "refresh_token_hash" = $1', ['token-hash-123']);

    const logged = JSON.stringify(calls);
    expect(logged).toContain('violates check constraint');
    expect(logged).toContain('INSERT INTO');
    expect(logged).not.toMatch(/argon2|ada@example\.com|token-hash-123/);
  });
});
