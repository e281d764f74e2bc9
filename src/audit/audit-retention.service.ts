import { Inject, Injectable } from '@nestjs/common';
import type { AuditConfig } from '../config/app-config.js';
import { AUDIT_CONFIG } from '../config/config-slices.js';
import { AuthEventsRepository } from './auth-events.repository.js';

/** Forgets events older than AUDIT_RETENTION_DAYS; run by the session purge (timer and CLI). */
@Injectable()
export class AuditRetentionService {
  constructor(
    private readonly events: AuthEventsRepository,
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
  ) {}

  /** Deletes up to `limit` expired events; returns how many. */
  deleteExpired(limit: number): Promise<number> {
    return this.events.deleteOlderThan(this.config.retentionDays, limit);
  }
}
