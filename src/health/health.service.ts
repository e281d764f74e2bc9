import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors/domain-error.js';
import { CacheHealthIndicator } from './cache-health.indicator.js';
import { ShutdownState } from '../lifecycle/shutdown-state.js';

const DATABASE_PING_TIMEOUT_MS = 1_000;
const NOT_READY_RETRY_AFTER_S = 5;

export type DependencyState = 'up' | 'down';

export interface Readiness {
  status: 'ok' | 'degraded';
  database: DependencyState;
  cache: DependencyState;
  details: HealthCheckResult['details'];
}

function stateOf(result: HealthCheckResult, key: string): DependencyState {
  return result.details[key]?.status === 'up' ? 'up' : 'down';
}

@Injectable()
export class HealthService {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly dataSource: DataSource,
    private readonly cache: CacheHealthIndicator,
    private readonly shutdown: ShutdownState,
  ) {}

  async readiness(): Promise<Readiness> {
    if (this.shutdown.isShuttingDown) {
      throw new DomainError(
        'SERVICE_SHUTTING_DOWN',
        'unavailable',
        'This replica is shutting down.',
        { retryAfterS: NOT_READY_RETRY_AFTER_S },
      );
    }
    try {
      const result = await this.health.check([
        // The data source is passed in: terminus would otherwise import @nestjs/typeorm by name to
        // look it up, which in the bundle finds a second copy whose DI token matches nothing.
        () =>
          this.database.pingCheck('database', {
            connection: this.dataSource,
            timeout: DATABASE_PING_TIMEOUT_MS,
          }),
        () => this.cache.check('cache'),
      ]);
      return {
        status: result.status === 'degraded' ? 'degraded' : 'ok',
        database: stateOf(result, 'database'),
        cache: stateOf(result, 'cache'),
        details: result.details,
      };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      throw new DomainError(
        'SERVICE_NOT_READY',
        'unavailable',
        'A required dependency (the database) is not answering.',
        {
          retryAfterS: NOT_READY_RETRY_AFTER_S,
          extensions: {
            database: stateOf(result, 'database'),
            cache: stateOf(result, 'cache'),
            details: result.details,
          },
        },
      );
    }
  }
}
