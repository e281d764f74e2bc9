import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  apiContainer,
  compose,
  composeApiConfig,
  composeEnvironment,
  durationSeconds,
  isPinnedImage,
  readText,
  root,
  shutdownBudgetS,
} from '../support/deploy-files.js';

describe('docker-compose.yml', () => {
  const { api, postgres, redis } = compose.services;

  it('gives the API, PostgreSQL and Redis each a healthcheck', () => {
    const unchecked = ['api', 'postgres', 'redis'].filter((name) => {
      const healthcheck = compose.services[name]?.healthcheck;
      return !healthcheck?.test || healthcheck.disable === true || healthcheck.test[0] === 'NONE';
    });
    expect(unchecked).toEqual([]);
  });

  it('starts the API only once PostgreSQL and Redis are healthy', () => {
    expect(api.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('pins every image to a versioned tag', () => {
    const images = Object.values(compose.services).map((entry) => entry.image ?? '');
    expect(images.filter((image) => !isPinnedImage(image))).toEqual([]);
    expect(api.image).toBe(apiContainer.image);
  });

  it('configures the API for production with values the service accepts', () => {
    const config = composeApiConfig();
    expect(config.isProduction).toBe(true);
    expect(config.database.url).toMatch(/@postgres:5432\//);
    expect(config.redis.url).toMatch(/^redis:\/\/redis:6379/);
    expect(config.database.runMigrations).toBe(true);
  });

  it('takes the PostgreSQL password from the operator, with no default production could inherit', () => {
    expect(() => composeEnvironment(postgres, {})).toThrow(/required variable POSTGRES_PASSWORD/);
    expect(() => composeEnvironment(api, {})).toThrow(/required variable POSTGRES_PASSWORD/);

    const chosen = { POSTGRES_PASSWORD: 'chosen-by-the-operator' };
    expect(composeEnvironment(postgres, chosen).POSTGRES_PASSWORD).toBe(chosen.POSTGRES_PASSWORD);
    const url = new URL(composeEnvironment(api, chosen).DATABASE_URL);
    expect(url.password).toBe(chosen.POSTGRES_PASSWORD);
    expect(url.username).toBe(composeEnvironment(postgres, chosen).POSTGRES_USER);
  });

  it('defaults no secret: a password, token or key variable is required or defaults to empty', () => {
    const secretDefaults = [
      ...readText('docker-compose.yml').matchAll(
        /\$\{(\w*(?:PASSWORD|SECRET|TOKEN|KEY)\w*)(:?-)([^}]*)\}/g,
      ),
    ].filter((match) => match[3] !== '');
    expect(secretDefaults.map((match) => match[0])).toEqual([]);
  });

  it('reads the JWT signing key from a compose secret kept out of git', () => {
    const keyFile = composeEnvironment(api).JWT_PRIVATE_KEY_FILE;
    const secretName = /^\/run\/secrets\/([\w.-]+)$/.exec(keyFile ?? '')?.[1] ?? '';
    const attached = (api.secrets ?? []).map((entry) =>
      typeof entry === 'string' ? entry : entry.source,
    );
    expect(attached).toContain(secretName);
    const file = compose.secrets?.[secretName]?.file ?? '';
    expect(path.posix.normalize(file)).toMatch(/^secrets\/[^/]+\.pem$/);
    expect(() =>
      execFileSync('git', ['check-ignore', '--quiet', '--no-index', path.posix.normalize(file)], {
        cwd: root,
      }),
    ).not.toThrow();
  });

  it('restarts the API on failure and gives it time to drain before killing it', () => {
    expect(['always', 'unless-stopped', 'on-failure']).toContain(api.restart);
    expect(durationSeconds(api.stop_grace_period ?? '10s')).toBeGreaterThan(
      shutdownBudgetS(composeApiConfig()),
    );
  });

  it('bounds Redis memory and lets it evict only keys that carry a TTL', () => {
    const argv =
      typeof redis.command === 'string' ? redis.command.split(/\s+/) : (redis.command ?? []);
    const valueAfter = (flag: string) => {
      const index = argv.indexOf(flag);
      return index === -1 ? undefined : argv[index + 1];
    };
    expect(valueAfter('--maxmemory-policy')).toBe('noeviction');
    expect(valueAfter('--maxmemory')).toMatch(/^\d+(kb|mb|gb)?$/i);
  });

  it('keeps PostgreSQL data in a named volume', () => {
    const sources = (postgres.volumes ?? []).map((volume) => volume.split(':')[0]);
    const named = sources.filter((source) => Object.hasOwn(compose.volumes ?? {}, source));
    expect(named).toHaveLength(1);
  });
});
