// Builds dist/ (scripts/build.mjs) when it is missing or older than the sources.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { entry, root } from './build.mjs';

export { entry, root };

function newestMtime(dir) {
  let newest = 0;
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, item.name);
    newest = Math.max(newest, item.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export function buildIfStale() {
  const inputs = [
    newestMtime(path.join(root, 'src')),
    ...[
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'nest-cli.json',
      'scripts/build.mjs',
    ].map((file) => statSync(path.join(root, file)).mtimeMs),
  ];
  if (existsSync(entry) && Math.max(...inputs) <= statSync(entry).mtimeMs) return;
  console.log('Building (dist/ is missing or older than the sources)...');
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
