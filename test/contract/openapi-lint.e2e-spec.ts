import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BuiltService } from '../support/built-service.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SPECTRAL = path.join(ROOT, 'node_modules/@stoplight/spectral-cli/dist/index.js');

interface SpectralResult {
  code: string;
  message: string;
  path: string[];
  /** 0 error, 1 warning, 2 info, 3 hint */
  severity: number;
}

/** Spectral's CLI with the committed ruleset (.spectral.yaml, `spectral:oas`) on one file. */
async function lint(file: string): Promise<SpectralResult[]> {
  const args = [SPECTRAL, 'lint', file, '--ruleset', path.join(ROOT, '.spectral.yaml')];
  // It exits 1 when it finds an error; the JSON on stdout says what.
  const { stdout } = await promisify(execFile)(process.execPath, [...args, '-f', 'json', '-q'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stdout?: string }) => {
    if (!error.stdout) throw error;
    return { stdout: error.stdout };
  });
  return JSON.parse(stdout) as SpectralResult[];
}

const describeResult = (result: SpectralResult) =>
  `${result.code} at ${result.path.join('.')}: ${result.message}`;

describe('the OpenAPI document of the built service under Spectral (spectral:oas)', () => {
  let dir: string;
  let document: Record<string, unknown>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'uas-spectral-'));
    // The document needs the Swagger CLI plugin, which only the build applies.
    const service = await BuiltService.start({
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATA_DIR: ':memory:',
    });
    try {
      const response = await fetch(service.url('/docs/openapi.json'));
      expect(response.status).toBe(200);
      document = (await response.json()) as Record<string, unknown>;
    } finally {
      await service.stop();
    }
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('has no errors and no warnings', async () => {
    const file = path.join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(document));
    const results = await lint(file);
    const errors = results.filter((result) => result.severity === 0);
    const warnings = results.filter((result) => result.severity === 1);
    console.log(`Spectral (spectral:oas): ${errors.length} errors, ${warnings.length} warnings`);
    expect(errors.map(describeResult)).toEqual([]);
    // Every warning was a real gap (descriptions, tags, servers) and is fixed; a new one is too.
    expect(warnings.map(describeResult)).toEqual([]);
  });

  it('reports an error when the document is broken (the check can fail)', async () => {
    const broken = structuredClone(document);
    (broken.paths as Record<string, Record<string, { responses: object }>>)[
      '/health/live'
    ].get.responses = {
      200: {
        description: 'ok',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Missing' } } },
      },
    };
    delete (broken.info as Record<string, unknown>).version;
    const file = path.join(dir, 'broken.json');
    await writeFile(file, JSON.stringify(broken));
    const codes = (await lint(file))
      .filter((result) => result.severity === 0)
      .map((result) => result.code);
    expect(codes).toEqual(expect.arrayContaining(['invalid-ref', 'oas3-schema']));
  });
});
