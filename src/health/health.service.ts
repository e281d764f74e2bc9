import { Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { DomainError } from '../common/errors/domain-error.js';
import { CacheHealthIndicator } from './cache-health.indicator.js';
import { DatabaseHealthIndicator } from './database-health.indicator.js';
import { ShutdownState } from '../lifecycle/shutdown-state.js';
import { MetricsService } from '../metrics/metrics.service.js';

const NOT_READY_RETRY_AFTER_S = 5;

export type DependencyState = 'up' | 'down';

/** Terminus-style detail with names and states only. */
export type PublicDetails = Record<string, { status: string }>;

export interface Readiness {
  status: 'ok' | 'degraded';
  database: DependencyState;
  cache: DependencyState;
  details: PublicDetails;
}

function stateOf(result: HealthCheckResult, key: string): DependencyState {
  return result.details[key]?.status === 'up' ? 'up' : 'down';
}

/**
 * The probe answers anyone who can reach the pod: a driver's message names hosts and ports (and
 * could name more), so only each dependency's state leaves the process. The log keeps the rest.
 */
function publicDetails(result: HealthCheckResult): PublicDetails {
  return Object.fromEntries(
    Object.entries(result.details).map(([name, detail]) => [name, { status: detail.status }]),
  );
}

@Injectable()
export class HealthService {
  private readonly logger = new Logger('Health');
  /** The failing dependencies last logged, so a failing probe logs once, not every few seconds. */
  private lastFailures = '';

  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
    private readonly cache: CacheHealthIndicator,
    private readonly shutdown: ShutdownState,
    private readonly metrics: MetricsService,
  ) {}

  async readiness(): Promise<Readiness> {
    if (this.shutdown.isShuttingDown) {
      this.metrics.recordReadiness(false);
      throw new DomainError(
        'SERVICE_SHUTTING_DOWN',
        'unavailable',
        'This replica is shutting down.',
        { retryAfterS: NOT_READY_RETRY_AFTER_S },
      );
    }
    try {
      const result = await this.health.check([
        () => this.database.check('database'),
        () => this.cache.check('cache'),
      ]);
      this.logChanges(result);
      const dependencies = {
        database: stateOf(result, 'database'),
        cache: stateOf(result, 'cache'),
      };
      this.metrics.recordReadiness(true, dependencies);
      return {
        status: result.status === 'degraded' ? 'degraded' : 'ok',
        ...dependencies,
        details: publicDetails(result),
      };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      this.logChanges(result);
      const dependencies = {
        database: stateOf(result, 'database'),
        cache: stateOf(result, 'cache'),
      };
      this.metrics.recordReadiness(false, dependencies);
      throw new DomainError(
        'SERVICE_NOT_READY',
        'unavailable',
        'A required dependency (the database) is not answering.',
        {
          retryAfterS: NOT_READY_RETRY_AFTER_S,
          extensions: { ...dependencies, details: publicDetails(result) },
        },
      );
    }
  }

  private logChanges(result: HealthCheckResult): void {
    const failing = Object.entries(result.details).filter(([, detail]) => detail.status !== 'up');
    const failures = failing.map(([name, detail]) => `${name}:${detail.status}`).join(',');
    if (failures === this.lastFailures) return;
    this.lastFailures = failures;
    if (failing.length === 0) this.logger.log('readiness: every dependency is up');
    else this.logger.warn({ details: Object.fromEntries(failing) }, 'readiness: dependency not up');
  }
}
