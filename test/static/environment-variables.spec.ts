import { describe, expect, it } from '@jest/globals';
import {
  apiContainer,
  compose,
  composeEnvironment,
  configMap,
  knownEnvironmentNames,
  migrationContainer,
  purgeContainer,
} from '../support/deploy-files.js';

describe('environment variables in the deployment files', () => {
  it('reads the names the service knows from its environment schema', () => {
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_PRIVATE_KEY_FILE', 'SHUTDOWN_DRAIN_MS']) {
      expect(knownEnvironmentNames).toContain(name);
    }
  });

  it('sets only variables the service knows, in compose, the ConfigMap and the pods', () => {
    const used = {
      'docker-compose.yml api': Object.keys(composeEnvironment(compose.services.api)),
      ConfigMap: Object.keys(configMap.data),
      Deployment: (apiContainer.env ?? []).map((variable) => variable.name),
      'migration Job': (migrationContainer.env ?? []).map((variable) => variable.name),
      'sessions purge CronJob': (purgeContainer.env ?? []).map((variable) => variable.name),
    };
    const unknown = Object.entries(used).flatMap(([where, names]) =>
      names.filter((name) => !knownEnvironmentNames.has(name)).map((name) => `${where}: ${name}`),
    );
    expect(Object.values(used).flat().length).toBeGreaterThan(0);
    expect(unknown).toEqual([]);
  });
});
