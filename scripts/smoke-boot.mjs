// Boots the built service in embedded mode with the given Node binary (default: this one), checks
// readiness and the OpenAPI document, stops it with SIGTERM and expects exit 0. CI runs it on the
// production runtime (Node 24) as well as on the development one.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { entry, root } from './build.mjs';

const node = process.argv[2] ?? process.execPath;

const port = await new Promise((resolve) => {
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = server.address();
    server.close(() => resolve(free));
  });
});
const child = spawn(node, [entry], {
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
const exited = new Promise((resolve) =>
  child.once('exit', (code, signal) => resolve({ code, signal })),
);

const fail = (message) => {
  console.error(`smoke-boot: ${message}`);
  child.kill('SIGKILL');
  process.exit(1);
};

const started = Date.now();
let ready = false;
while (!ready && Date.now() - started < 60_000) {
  if (child.exitCode !== null) fail(`service exited early with ${child.exitCode}`);
  ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
    (r) => r.status === 200,
    () => false,
  );
  if (!ready) await new Promise((resolve) => setTimeout(resolve, 250));
}
if (!ready) fail('not ready within 60 s');
const docs = await fetch(`http://127.0.0.1:${port}/docs/openapi.json`);
if (docs.status !== 200) fail(`/docs/openapi.json answered ${docs.status}`);

child.kill('SIGTERM');
const status = await exited;
if (status.code !== 0) fail(`exit after SIGTERM: ${JSON.stringify(status)}`);
const version = spawn(node, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
let versionText = '';
version.stdout.on('data', (chunk) => (versionText += chunk));
await new Promise((resolve) => version.once('exit', resolve));
console.log(
  `smoke-boot: embedded mode on Node ${versionText.trim()}: ready in ${Date.now() - started} ms, exit 0 on SIGTERM`,
);
