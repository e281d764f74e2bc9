import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { MetricsConfig } from '../config/app-config.js';
import { METRICS_CONFIG } from '../config/config-slices.js';
import { DomainError } from '../common/errors/domain-error.js';
import { MetricsService } from './metrics.service.js';

function sameSecret(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Renders the registry, behind `METRICS_TOKEN` (bearer) when one is configured. */
@Injectable()
export class MetricsExporter {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(METRICS_CONFIG) private readonly config: MetricsConfig,
  ) {}

  async scrape(authorization: string | undefined): Promise<string> {
    const token = this.config.token;
    if (token !== undefined) {
      const presented = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
      if (!sameSecret(presented, token)) {
        throw new DomainError(
          'METRICS_UNAUTHORIZED',
          'unauthorized',
          'A valid metrics token is required.',
        );
      }
    }
    return this.metrics.registry.metrics();
  }
}
