import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type CacheEvent = 'hit' | 'miss' | 'error' | 'invalidation';

export const AUTH_EVENTS = [
  'register',
  'login_success',
  'login_failure',
  'login_locked',
  'login_credentials_changed',
  'refresh',
  'refresh_grace_replay',
  'refresh_reuse_detected',
  'password_changed',
  'password_change_failure',
  'logout',
  'logout_all',
] as const;

export type AuthEvent = (typeof AUTH_EVENTS)[number];

/**
 * Prometheus metrics of this process. One registry per application instance (not prom-client's
 * global one), so several instances in one process (tests) do not collide.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly cacheEvents = new Counter({
    name: 'cache_events_total',
    help: 'Response cache hits, misses, errors and invalidations',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  readonly authEvents = new Counter({
    name: 'auth_events_total',
    help: 'Authentication events (login success/failure, refresh, reuse detected, logout...)',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  readonly healthReady = new Gauge({
    name: 'health_ready',
    help: 'Whether the last readiness check passed (1) or failed or met a shutdown (0); absent before the first check',
    registers: [this.registry],
  });

  readonly healthDependencyUp = new Gauge({
    name: 'health_dependency_up',
    help: 'Each dependency as the last readiness check found it: up (1) or not (0)',
    labelNames: ['dependency'] as const,
    registers: [this.registry],
  });

  readonly mailSent = new Counter({
    name: 'mail_sent_total',
    help: 'Mails the SMTP server accepted, by template',
    labelNames: ['template'] as const,
    registers: [this.registry],
  });

  readonly mailFailed = new Counter({
    name: 'mail_failed_total',
    help: 'Mails given up (permanent rejection or OUTBOX_MAX_ATTEMPTS reached), by template',
    labelNames: ['template'] as const,
    registers: [this.registry],
  });

  readonly mailSendErrors = new Counter({
    name: 'mail_send_errors_total',
    help: 'Failed send attempts that will be retried',
    registers: [this.registry],
  });

  readonly mailOutboxPending = new Gauge({
    name: 'mail_outbox_pending',
    help: 'Mails waiting in the outbox (all replicas), as this replica last counted them',
    registers: [this.registry],
  });

  readonly mailOutboxOldestPendingAge = new Gauge({
    name: 'mail_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest mail waiting in the outbox (0 when none), as this replica last saw it',
    registers: [this.registry],
  });

  readonly auditEvents = new Counter({
    name: 'audit_events_recorded_total',
    help: 'Account audit events recorded (auth_events rows), by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly auditEventsDropped = new Counter({
    name: 'audit_events_dropped_total',
    help: 'Audit events never stored: their batch failed twice, or the buffer was full',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Series that exist from the start: increase() misses the first event of a series born at 1.
    for (const event of AUTH_EVENTS) this.authEvents.inc({ event }, 0);
    // A replica nobody probes for readiness (compose) must not read as unready.
    this.healthReady.remove();
  }

  recordCache(event: CacheEvent): void {
    this.cacheEvents.inc({ event });
  }

  recordAuth(event: AuthEvent): void {
    this.authEvents.inc({ event });
  }

  recordReadiness(isReady: boolean, dependencies: Record<string, 'up' | 'down'> = {}): void {
    this.healthReady.set(isReady ? 1 : 0);
    for (const [dependency, state] of Object.entries(dependencies)) {
      this.healthDependencyUp.set({ dependency }, state === 'up' ? 1 : 0);
    }
  }

  recordMailSent(template: string): void {
    this.mailSent.inc({ template });
  }

  recordMailFailed(template: string): void {
    this.mailFailed.inc({ template });
  }

  recordMailSendError(): void {
    this.mailSendErrors.inc();
  }

  setOutboxBacklog(pending: number, oldestPendingAgeS: number): void {
    this.mailOutboxPending.set(pending);
    this.mailOutboxOldestPendingAge.set(oldestPendingAgeS);
  }

  recordAuditEvent(type: string): void {
    this.auditEvents.inc({ type });
  }

  recordAuditEventsDropped(count: number): void {
    this.auditEventsDropped.inc(count);
  }
}
