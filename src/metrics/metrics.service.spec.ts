import { describe, expect, it } from '@jest/globals';
import { AUTH_EVENTS, MetricsService } from './metrics.service.js';

describe('MetricsService', () => {
  it('exports every auth event at 0 from the start, so the first one counts in increase()', async () => {
    const exposition = await new MetricsService().registry.metrics();
    for (const event of AUTH_EVENTS) {
      expect(exposition).toContain(`auth_events_total{event="${event}"} 0\n`);
    }
  });

  it('exports no readiness until the first check, then its outcome and each dependency', async () => {
    const metrics = new MetricsService();
    expect(await metrics.registry.metrics()).not.toMatch(/^health_ready /m);

    metrics.recordReadiness(false, { database: 'down', cache: 'up' });
    const failing = await metrics.registry.metrics();
    expect(failing).toMatch(/^health_ready 0$/m);
    expect(failing).toContain('health_dependency_up{dependency="database"} 0\n');
    expect(failing).toContain('health_dependency_up{dependency="cache"} 1\n');

    metrics.recordReadiness(true, { database: 'up', cache: 'up' });
    const passing = await metrics.registry.metrics();
    expect(passing).toMatch(/^health_ready 1$/m);
    expect(passing).toContain('health_dependency_up{dependency="database"} 1\n');
  });
});
