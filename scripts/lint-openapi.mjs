// `npm run lint:openapi`: writes the built service's OpenAPI document (scripts/openapi-document.mjs:
// the compiled app, where the Swagger CLI plugin has described the DTOs, without listening) and
// lints it with Spectral's `spectral:oas` rules (.spectral.yaml). Exits non-zero on any error;
// warnings are printed. `--out <file>` keeps the document; other arguments go to Spectral.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildIfStale, root } from './build-if-stale.mjs';

const outIndex = process.argv.indexOf('--out');
const keep = outIndex === -1 ? undefined : path.resolve(process.argv[outIndex + 1]);
const spectralArgs = process.argv
  .slice(2)
  .filter((arg, index, all) => arg !== '--out' && all[index - 1] !== '--out');

buildIfStale();
const dir = mkdtempSync(path.join(tmpdir(), 'uas-openapi-'));
try {
  const file = keep ?? path.join(dir, 'openapi.json');
  const written = spawnSync(
    process.execPath,
    [path.join(root, 'scripts/openapi-document.mjs'), file],
    {
      cwd: root,
      // Only what the document may depend on: the defaults, not the caller's DATABASE_URL and such.
      env: { PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: ':memory:' },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  if (written.status !== 0) {
    console.error(`lint:openapi: openapi-document.mjs failed (exit ${written.status})`);
    process.exitCode = 1;
  } else {
    const spectral = spawnSync(
      process.execPath,
      [
        path.join(root, 'node_modules/@stoplight/spectral-cli/dist/index.js'),
        'lint',
        file,
        '--ruleset',
        path.join(root, '.spectral.yaml'),
        '--fail-severity',
        'error',
        ...spectralArgs,
      ],
      { cwd: root, stdio: 'inherit' },
    );
    process.exitCode = spectral.status ?? 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
