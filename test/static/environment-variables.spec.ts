import { describe, expect, it } from '@jest/globals';
import { loadAppConfig } from '../../src/config/app-config.js';
import {
  apiContainer,
  compose,
  composeEnvironment,
  configMap,
  itRendered,
  knownEnvironmentNames,
  migrationContainer,
  purgeContainer,
  readText,
} from '../support/deploy-files.js';

/** `.env.example` as dotenv reads it: `NAME=value  # comment`, values optionally double-quoted. */
function envExample(): Record<string, string> {
  const entries = readText('.env.example')
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=("[^"]*"|[^#]*?)\s*(?:#.*)?$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => [match[1], match[2].replace(/^"(.*)"$/, '$1')]);
  return Object.fromEntries(entries);
}

describe('environment variables in the deployment files', () => {
  it('reads the names the service knows from its environment schema', () => {
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_PRIVATE_KEY_FILE', 'SHUTDOWN_DRAIN_MS']) {
      expect(knownEnvironmentNames).toContain(name);
    }
  });

  itRendered(
    'sets only variables the service knows, in compose, the ConfigMap and the pods',
    () => {
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
    },
  );

  it('documents every variable the service knows in .env.example, and nothing else', () => {
    const documented = Object.keys(envExample());
    expect([...knownEnvironmentNames].filter((name) => !documented.includes(name))).toEqual([]);
    expect(documented.filter((name) => !knownEnvironmentNames.has(name))).toEqual([]);
  });

  it('gives in .env.example the values the service uses by default', () => {
    expect(loadAppConfig(envExample())).toEqual(loadAppConfig({}));
  });
});
