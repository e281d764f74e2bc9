import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BuiltService } from '../support/built-service.js';

const run = promisify(execFile);

/** Chromium from CHROMIUM_PATH or PATH; CI installs it and sets REQUIRE_BROWSER=1. */
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

const chromium = await findChromium();
if (!chromium && process.env.REQUIRE_BROWSER === '1') {
  throw new Error('REQUIRE_BROWSER=1 but no Chromium was found (apt-get install chromium)');
}
const describeWithBrowser = chromium ? describe : describe.skip;

describeWithBrowser('Swagger UI in a real browser (headless Chromium)', () => {
  let dataDir: string;
  let service: BuiltService;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'uas-browser-'));
    service = await BuiltService.start({
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATA_DIR: ':memory:',
    });
  });

  afterAll(async () => {
    await service.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const browse = async (...flags: string[]) =>
    run(
      chromium as string,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        `--user-data-dir=${dataDir}`,
        '--virtual-time-budget=10000',
        ...flags,
        service.url('/docs'),
      ],
      { maxBuffer: 32 * 1024 * 1024, timeout: 60_000 },
    );

  it('renders every operation of the OpenAPI document, with the Authorize button (no CSP breakage)', async () => {
    const document = (await (await fetch(service.url('/docs/openapi.json'))).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.values(document.paths).reduce(
      (count, item) => count + Object.keys(item).length,
      0,
    );

    const { stdout: dom } = await browse('--dump-dom');
    const rendered = dom.match(/class="opblock-summary-path"/g) ?? [];
    expect(rendered.length).toBe(operations);
    expect(dom).toContain('data-path="/api/v1/auth/login"');
    expect(dom).toMatch(/class="btn authorize/);
  });

  it('produces a screenshot of the rendered page', async () => {
    const file = path.join(dataDir, 'swagger.png');
    await browse('--window-size=1280,1600', `--screenshot=${file}`);
    expect((await stat(file)).size).toBeGreaterThan(20_000);
  });
});
