// `npm run lint:openapi`: boots the built service in embedded mode (the OpenAPI document needs the
// Swagger CLI plugin, applied at build), saves /docs/openapi.json and lints it with Spectral's
// `spectral:oas` rules (.spectral.yaml). Exits non-zero on any error; warnings are printed.
// `--out <file>` keeps the document.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildIfStale, entry, root } from './build-if-stale.mjs';

const outIndex = process.argv.indexOf('--out');
const keep = outIndex === -1 ? undefined : path.resolve(process.argv[outIndex + 1]);

buildIfStale();
const port = await new Promise((resolve) => {
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = server.address();
    server.close(() => resolve(free));
  });
});
const child = spawn(process.execPath, [entry], {
  cwd: root,
  env: {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATA_DIR: ':memory:',
    HOST: '127.0.0.1',
    PORT: String(port),
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});

let document;
try {
  const started = Date.now();
  while (document === undefined && Date.now() - started < 60_000) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
    document = await fetch(`http://127.0.0.1:${port}/docs/openapi.json`).then(
      (response) => (response.status === 200 ? response.text() : undefined),
      () => undefined,
    );
    if (document === undefined) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (document === undefined) throw new Error('no /docs/openapi.json within 60 s');
} finally {
  child.kill('SIGTERM');
}

const dir = mkdtempSync(path.join(tmpdir(), 'uas-openapi-'));
const file = keep ?? path.join(dir, 'openapi.json');
writeFileSync(file, document);
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
    ...process.argv
      .slice(2)
      .filter((arg, index, all) => arg !== '--out' && all[index - 1] !== '--out'),
  ],
  { cwd: root, stdio: 'inherit' },
);
rmSync(dir, { recursive: true, force: true });
process.exit(spectral.status ?? 1);
