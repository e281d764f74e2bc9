import { Logger as NestLogger } from '@nestjs/common';
import type { Logger as TypeOrmLoggerContract } from 'typeorm';
import { PG_UNIQUE_VIOLATION } from '../common/errors/database-errors.js';

const MAX_LOGGED_QUERY_LENGTH = 2_000;

/**
 * Routes TypeORM's slow-query and error reports to the application logger. Parameters are never
 * logged: they carry password hashes and token hashes.
 */
export class TypeOrmLogger implements TypeOrmLoggerContract {
  private readonly logger = new NestLogger('Database');

  logQuery(): void {}

  logQueryError(error: string | Error, query: string): void {
    const message = typeof error === 'string' ? error : error.message;
    // Unique violations are expected (a taken email) and answered as 409: not worth a warning.
    const isExpected = (error as { code?: unknown }).code === PG_UNIQUE_VIOLATION;
    if (isExpected) this.logger.debug({ query: truncate(query), err: message }, 'query failed');
    else this.logger.warn({ query: truncate(query), err: message }, 'query failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ query: truncate(query), durationMs: time }, 'slow query');
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(message);
    else this.logger.debug(message);
  }
}

function truncate(query: string): string {
  return query.length > MAX_LOGGED_QUERY_LENGTH
    ? `${query.slice(0, MAX_LOGGED_QUERY_LENGTH)}...`
    : query;
}
