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
  itRendered,
  OPERATOR_VARIABLES,
  readText,
  root,
  shutdownBudgetS,
} from '../support/deploy-files.js';

describe('docker-compose.yml', () => {
  const { api, postgres, redis, mailpit } = compose.services;

  it('gives the API, PostgreSQL, Redis and Mailpit each a healthcheck', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'mailpit', 'postgres', 'redis']);
    const unchecked = Object.keys(compose.services).filter((name) => {
      const healthcheck = compose.services[name]?.healthcheck;
      return !healthcheck?.test || healthcheck.disable === true || healthcheck.test[0] === 'NONE';
    });
    expect(unchecked).toEqual([]);
  });

  it('starts the API only once PostgreSQL, Redis and Mailpit are healthy', () => {
    expect(api.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
      mailpit: { condition: 'service_healthy' },
    });
  });

  it('pins every image to a versioned tag', () => {
    const images = Object.values(compose.services).map((entry) => entry.image ?? '');
    expect(images.filter((image) => !isPinnedImage(image))).toEqual([]);
  });

  itRendered('runs the image the Kubernetes Deployment runs', () => {
    expect(api.image).toBe(apiContainer.image);
  });

  it('configures the API for production with values the service accepts', () => {
    const config = composeApiConfig();
    expect(config.isProduction).toBe(true);
    expect(config.database.url).toMatch(/@postgres:5432\//);
    expect(config.redis.topology).toMatchObject({
      kind: 'single',
      url: expect.stringMatching(/^redis:\/\/redis:6379/) as unknown,
    });
    expect(config.database.runMigrations).toBe(true);
    expect(config.mail.smtpUrl).toBeTruthy();
    expect(config.account.appUrl).toMatch(/^https?:\/\//);
  });

  it('sends account mail over SMTP to the Mailpit service, whose web UI is published on loopback', () => {
    const smtp = new URL(composeApiConfig().mail.smtpUrl ?? '');
    expect(smtp.protocol).toBe('smtp:');
    expect(smtp.hostname).toBe('mailpit');
    expect(smtp.port).toBe('1025');
    expect(mailpit.image).toMatch(/^axllent\/mailpit:v\d+\.\d+\.\d+$/);
    expect(mailpit.ports).toEqual(['127.0.0.1:8025:8025', '127.0.0.1:1025:1025']);
  });

  it('lets the operator point SMTP_URL at a real relay and APP_URL at the front end', () => {
    const environment = composeEnvironment(api, {
      ...OPERATOR_VARIABLES,
      SMTP_URL: 'smtps://mailer:chosen@smtp.example.com:465',
      APP_URL: 'https://app.example.com',
    });
    expect(environment.SMTP_URL).toBe('smtps://mailer:chosen@smtp.example.com:465');
    expect(environment.APP_URL).toBe('https://app.example.com');
  });

  it('links mails to a front end whose origin CORS admits', () => {
    const config = composeApiConfig();
    expect(config.http.corsOrigins).toContain(new URL(config.account.appUrl).origin);
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
