import { generateKeyPairSync } from 'node:crypto';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildUser } from '../factories/user.factory.js';
import {
  bytesAddedTo,
  canBuildImages,
  ImageFilesystem,
  run,
  type CommandResult,
} from '../support/image.js';
import { SmtpCatcher } from '../support/smtp-catcher.js';
import { closedPort } from '../support/tcp-proxy.js';
import { useTestEnvironment } from '../support/test-app.js';
import { waitUntil } from '../support/wait.js';

const IMAGE = 'localhost/user-auth-service:image-test';
const APP_LAYERS_LIMIT = 40 * 1000 * 1000;
const SHUTDOWN = { drainMs: 1_000, timeoutMs: 15_000 };

// CI installs podman (.ci/run); elsewhere the test is skipped with a warning rather than failed.
const isAvailable = canBuildImages();
const isRequired = process.env.CI === 'true';
if (!isAvailable && !isRequired) {
  console.warn('The image test is skipped: it needs podman and root (chroot). CI runs it.');
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** The exit code, with the output when it is not 0, so a failure shows why. */
const succeeded = ({ code, output }: CommandResult) => (code === 0 ? { code } : { code, output });

(isAvailable || isRequired ? describe : describe.skip)(
  'the image, built from the Dockerfile by podman and run from its own file system',
  () => {
    const scope = useTestEnvironment();
    let baseImage: string;
    let image: ImageFilesystem;
    let workDir: string;
    let smtp: SmtpCatcher;
    let env: Record<string, string>;

    beforeAll(async () => {
      if (!isAvailable) {
        throw new Error('CI=true, but podman or root is missing (.ci/run installs podman)');
      }
      smtp = await SmtpCatcher.start();
      baseImage = (await run(process.execPath, ['scripts/base-image.mjs']))
        .trim()
        .split('\n')
        .at(-1)!;
      await run('podman', [
        'build',
        '--isolation=chroot',
        '--network=host',
        '--format=docker',
        '--tag',
        IMAGE,
        '--file',
        'Dockerfile',
        '.',
      ]);
      workDir = await mkdtemp(path.join(tmpdir(), 'uas-image-'));
      const rootfs = path.join(workDir, 'rootfs');
      await mkdir(rootfs);
      image = await ImageFilesystem.export(IMAGE, rootfs);

      // The key as a Kubernetes secret volume gives it: a file only the service user reads.
      const secrets = path.join(rootfs, 'run/secrets');
      await mkdir(secrets, { recursive: true });
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      await writeFile(
        path.join(secrets, 'jwt-private.pem'),
        privateKey.export({ type: 'pkcs8', format: 'pem' }),
        { mode: 0o600 },
      );
      await chown(path.join(secrets, 'jwt-private.pem'), 1000, 1000);

      const environment = scope.environment.env;
      env = {
        DATABASE_URL: environment.DATABASE_URL!,
        REDIS_URL: environment.REDIS_URL!,
        REDIS_KEY_PREFIX: environment.REDIS_KEY_PREFIX!,
        HOST: '127.0.0.1',
        PORT: String(await closedPort()),
        LOG_LEVEL: 'warn',
        JWT_PRIVATE_KEY_FILE: '/run/secrets/jwt-private.pem',
        CORS_ORIGINS: 'https://app.example.test',
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Accounts <accounts@example.test>',
        APP_URL: 'https://app.example.test',
        MIGRATIONS_RUN: 'false',
        SHUTDOWN_DRAIN_MS: String(SHUTDOWN.drainMs),
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN.timeoutMs),
      };
    }, 25 * 60_000);

    afterAll(async () => {
      // Every build leaves intermediate images (the layer cache); those of older builds go.
      if (isAvailable) await run('podman', ['image', 'prune', '--force', '--filter', 'until=72h']);
      await smtp?.stop();
      if (workDir) await rm(workDir, { recursive: true, force: true });
    });

    it('adds at most 40 MB to the base image: the bundles and the packages they load', async () => {
      const added = await bytesAddedTo(IMAGE, baseImage);
      expect(added).toBeGreaterThan(5 * 1000 * 1000);
      expect(added).toBeLessThanOrEqual(APP_LAYERS_LIMIT);
    });

    it('runs as the unprivileged node user in production mode', () => {
      expect(image.config.User).toBe('node');
      expect(image.config.Env).toContain('NODE_ENV=production');
      expect(image.config.Cmd).toEqual(['node', 'dist/bundle/main.js']);
    });

    it('applies the migrations with the migration CLI from the image', async () => {
      const migrate = await image.run(env, ['node', 'dist/bundle/migration-cli.js', 'run']);
      expect(succeeded(migrate)).toEqual({ code: 0 });
      const check = await image.run(env, ['node', 'dist/bundle/migration-cli.js', 'check']);
      expect(succeeded(check)).toEqual({ code: 0 });
      expect(check.output).toContain('Entities and migrations agree.');
    });

    it('creates an admin with the admin CLI from the image', async () => {
      const admin = buildUser();
      const created = await image.run(
        env,
        ['node', 'dist/bundle/create-admin.cli.js', '--email', admin.email],
        `${admin.password}\n`,
      );
      expect(succeeded(created)).toEqual({ code: 0 });
    });

    it('purges ended sessions with the purge CLI from the image', async () => {
      const purged = await image.run(env, ['node', 'dist/bundle/sessions-purge.cli.js']);
      expect(succeeded(purged)).toEqual({ code: 0 });
    });

    it('serves its CMD as its USER: ready, register, login, then exits 0 on SIGTERM within drain and timeout', async () => {
      const service = image.spawn(env);
      let output = '';
      service.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      service.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (resolve) => service.once('exit', (code, signal) => resolve({ code, signal })),
      );
      const url = (pathname: string) => `http://127.0.0.1:${env.PORT}${pathname}`;
      try {
        await waitUntil(
          `the image's service to be ready (output:\n${output.slice(-2000)})`,
          async () => {
            if (service.exitCode !== null) throw new Error(`exited ${service.exitCode}: ${output}`);
            return fetch(url('/health/ready')).then(
              (response) => response.status === 200,
              () => false,
            );
          },
          60_000,
        );
        const user = buildUser();
        const registered = await fetch(url('/api/v1/auth/register'), json(user));
        expect({ status: registered.status, body: await registered.json() }).toMatchObject({
          status: 201,
          body: { email: user.email },
        });
        const login = await fetch(
          url('/api/v1/auth/login'),
          json({ email: user.email, password: user.password }),
        );
        expect(login.status).toBe(200);
        expect(await login.json()).toMatchObject({ tokenType: 'Bearer' });

        const stopping = Date.now();
        service.kill('SIGTERM');
        expect(await exited).toEqual({ code: 0, signal: null });
        expect(Date.now() - stopping).toBeLessThan(SHUTDOWN.drainMs + SHUTDOWN.timeoutMs);
        expect(output).not.toMatch(/"level":"(error|fatal)"/);
      } finally {
        service.kill('SIGKILL');
      }
    });
  },
);
