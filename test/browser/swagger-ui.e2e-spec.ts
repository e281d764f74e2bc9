import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { buildUser } from '../factories/user.factory.js';
import { BuiltService } from '../support/built-service.js';

/** Screenshots land here (ignored by git); CI can keep the folder as an artifact. */
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/swagger-ui');

/** Debian's Chromium (CHROMIUM_PATH overrides); CI installs it and sets REQUIRE_BROWSER=1. */
async function findChromium(): Promise<string | undefined> {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const candidate of candidates) {
    if (
      candidate &&
      (await stat(candidate).then(
        () => true,
        () => false,
      ))
    ) {
      return candidate;
    }
  }
  return undefined;
}

const executablePath = await findChromium();
if (!executablePath && process.env.REQUIRE_BROWSER === '1') {
  throw new Error('REQUIRE_BROWSER=1 but no Chromium was found (apt-get install chromium)');
}
const describeWithBrowser = executablePath ? describe : describe.skip;

/** The block of one operation, expanded, with "Try it out" pressed. */
async function tryOut(page: Page, tag: string, operationId: string): Promise<Locator> {
  const operation = page.locator(`#operations-${tag}-${operationId}`);
  await operation.locator('.opblock-summary').first().click();
  await operation.locator('button.try-out__btn').click();
  return operation;
}

/** Presses Execute and waits for the live response; its status and body as shown. */
async function execute(operation: Locator): Promise<{ status: string; body: string }> {
  await operation.locator('button.execute').click();
  const response = operation.locator('.live-responses-table tbody .response').first();
  await response.waitFor({ timeout: 15_000 });
  const status = (await response.locator('.response-col_status').innerText()).trim();
  const body = await response.locator('.response-col_description .microlight').first().innerText();
  return { status, body };
}

describeWithBrowser(
  'Swagger UI as its users use it (headless Chromium driven by Playwright)',
  () => {
    let service: BuiltService;
    let userDataDir: string;
    let context: BrowserContext;
    let page: Page;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      service = await BuiltService.start({
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATA_DIR: ':memory:',
      });
      userDataDir = await mkdtemp(path.join(tmpdir(), 'uas-browser-'));
      // A fresh profile, and none of Chromium's own network traffic (this machine's network is
      // closed: the refused connections slow every start).
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath,
        headless: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
        viewport: { width: 1280, height: 1600 },
      });
      page = context.pages()[0] ?? (await context.newPage());
      // A CSP that blocks Swagger UI's scripts or styles shows up as console errors.
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(message.text());
      });
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(service.url('/docs'));
      await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
      // The built service and Chromium starting side by side: ~30 s on a loaded 2-core machine.
    }, 120_000);

    afterAll(async () => {
      await context?.close();
      await service?.stop();
      if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    });

    it('renders every operation of the OpenAPI document, with the Authorize button and no console errors', async () => {
      const document = (await (await fetch(service.url('/docs/openapi.json'))).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      const operations = Object.values(document.paths).reduce(
        (count, item) => count + Object.keys(item).length,
        0,
      );
      await expect(page.locator('.opblock').count()).resolves.toBe(operations);
      await expect(
        page.locator('.opblock[id="operations-auth-AuthController_login"]').count(),
      ).resolves.toBe(1);
      await expect(page.locator('button.authorize').count()).resolves.toBeGreaterThan(0);
      expect(pageErrors).toEqual([]);
    });

    it('registers and signs in with "Try it out", authorizes with the token, and reads GET /users/me', async () => {
      const user = buildUser();

      const register = await tryOut(page, 'auth', 'AuthController_register');
      await register
        .locator('textarea.body-param__text')
        .fill(JSON.stringify({ email: user.email, password: user.password }));
      expect((await execute(register)).status).toBe('201');

      const login = await tryOut(page, 'auth', 'AuthController_login');
      await login
        .locator('textarea.body-param__text')
        .fill(JSON.stringify({ email: user.email, password: user.password }));
      const signedIn = await execute(login);
      expect(signedIn.status).toBe('200');
      const { accessToken } = JSON.parse(signedIn.body) as { accessToken: string };
      expect(accessToken.split('.')).toHaveLength(3);

      await page.locator('.scheme-container button.authorize').click();
      const dialog = page.locator('.dialog-ux .modal-ux');
      await dialog.locator('input[aria-label="auth-bearer-value"]').fill(accessToken);
      await dialog.locator('button.modal-btn.auth.authorize').first().click();
      await dialog.locator('button.btn-done').first().click();

      const me = await tryOut(page, 'users', 'UsersController_findMe');
      const answer = await execute(me);
      expect(answer.status).toBe('200');
      expect(JSON.parse(answer.body)).toMatchObject({ email: user.email });

      await mkdir(ARTIFACTS, { recursive: true });
      const screenshot = path.join(ARTIFACTS, 'users-me-after-authorize.png');
      await me.scrollIntoViewIfNeeded();
      await page.screenshot({ path: screenshot, fullPage: false });
      expect((await stat(screenshot)).size).toBeGreaterThan(20_000);
      console.log(`Swagger UI screenshot: ${screenshot}`);
      expect(pageErrors).toEqual([]);
    });
  },
);
