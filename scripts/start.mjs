// `npm start` on a fresh clone: build when dist/ is missing or stale, then run the service in the
// foreground with signals passed through.
import { spawn } from 'node:child_process';
import { buildIfStale, entry, root } from './build-if-stale.mjs';

buildIfStale();
const child = spawn(process.execPath, ['--enable-source-maps', entry], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
