// The Dockerfile's base image (`FROM node:<version>-bookworm-slim`) assembled here, since no image
// registry is reachable: Debian bookworm (debootstrap, minbase), the production Node binary
// (scripts/production-node.mjs), npm from its npm package, a `node` user (uid 1000) and the
// host's CA bundle, imported into podman under the FROM tag. The root filesystem's tarball is
// cached under ${XDG_CACHE_HOME:-~/.cache}/user-auth-service/image, keyed by a hash of this recipe.
// `node scripts/base-image.mjs` prints the tag. Needs root, podman and debootstrap.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { productionNode, productionNodeDir } from './production-node.mjs';

const root = path.resolve(import.meta.dirname, '..');
const NPM_SPEC = 'npm@11';
const SUITE = 'bookworm';
const MIRROR = process.env.DEBIAN_MIRROR || 'http://deb.debian.org/debian';
const PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The image the Dockerfile's first stage is built FROM. */
export function baseImageTag(dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8')) {
  const tag = /^FROM\s+(?:--\S+\s+)*(\S+)/im.exec(dockerfile)?.[1];
  if (!tag) throw new Error('Dockerfile has no FROM');
  // podman stores short names under docker.io/library/, as a pull would have.
  return tag.includes('/') ? tag : `docker.io/library/${tag}`;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: ['ignore', 2, 2], ...options });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`,
    );
  }
  return result.stdout?.toString() ?? '';
}

const output = (command, args) => run(command, args, { stdio: ['ignore', 'pipe', 2] }).trim();

export const imageCacheDir = () => path.join(path.dirname(productionNodeDir()), 'image');

function assembleRootfs(tarball, node) {
  const work = mkdtempSync(path.join(imageCacheDir(), 'rootfs-'));
  const rootfs = path.join(work, 'rootfs');
  try {
    run('debootstrap', ['--variant=minbase', SUITE, rootfs, MIRROR]);
    copyFileSync(node, path.join(rootfs, 'usr/local/bin/node'));
    run('chmod', ['755', path.join(rootfs, 'usr/local/bin/node')]);
    const npmTarball = output('npm', ['pack', NPM_SPEC, '--pack-destination', work, '--silent']);
    const npmDir = path.join(rootfs, 'usr/local/lib/node_modules/npm');
    mkdirSync(npmDir, { recursive: true });
    run('tar', ['-xzf', path.join(work, npmTarball), '-C', npmDir, '--strip-components=1']);
    for (const [name, cli] of [
      ['npm', 'npm-cli.js'],
      ['npx', 'npx-cli.js'],
    ]) {
      run('ln', [
        '-s',
        `../lib/node_modules/npm/bin/${cli}`,
        path.join(rootfs, 'usr/local/bin', name),
      ]);
    }
    run('chroot', [rootfs, 'groupadd', '--gid', '1000', 'node']);
    run('chroot', [
      rootfs,
      'useradd',
      '--uid',
      '1000',
      '--gid',
      'node',
      '--shell',
      '/bin/bash',
      '--create-home',
      'node',
    ]);
    mkdirSync(path.join(rootfs, 'etc/ssl/certs'), { recursive: true });
    copyFileSync(
      '/etc/ssl/certs/ca-certificates.crt',
      path.join(rootfs, 'etc/ssl/certs/ca-certificates.crt'),
    );
    run('sh', [
      '-c',
      'rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb "$1"/var/log/*.log',
      'sh',
      rootfs,
    ]);
    run('tar', ['--numeric-owner', '-C', rootfs, '-cf', `${tarball}.partial`, '.']);
    run('mv', [`${tarball}.partial`, tarball]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const hash = (text) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * The image's configuration. NODE_EXTRA_CA_CERTS is not in the official image: here it makes npm
 * (inside the build) trust the host's CA bundle, which may hold a TLS-intercepting proxy's CA.
 */
const importArgs = (nodeVersion) => [
  `ENV PATH=${PATH_ENV}`,
  `ENV NODE_VERSION=${nodeVersion.replace(/^v/, '')}`,
  'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
  'CMD ["node"]',
];

/** Makes sure podman holds the Dockerfile's base image, built from this recipe; returns its tag. */
export function ensureBaseImage() {
  const tag = baseImageTag();
  const node = productionNode();
  const nodeVersion = output(node, ['--version']);
  // The tarball is keyed by how the file system is assembled; the image also by how it is imported.
  const filesystem = hash(`${assembleRootfs} ${nodeVersion} ${NPM_SPEC} ${SUITE}`);
  const recipe = hash(`${filesystem} ${importArgs(nodeVersion).join('\n')}`);
  const present = spawnSync(
    'podman',
    ['image', 'inspect', '--format', '{{index .Labels "base-recipe"}}', tag],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  if (present.status === 0 && present.stdout.toString().trim() === recipe) return tag;

  mkdirSync(imageCacheDir(), { recursive: true });
  const tarball = path.join(imageCacheDir(), `base-${filesystem}.tar`);
  if (!existsSync(tarball)) {
    process.stderr.write(`Assembling ${tag} (Debian ${SUITE}, Node ${nodeVersion})\n`);
    assembleRootfs(tarball, node);
  }
  run('podman', [
    'import',
    ...importArgs(nodeVersion).flatMap((change) => ['--change', change]),
    '--change',
    `LABEL base-recipe=${recipe}`,
    // In the history too: podman's build cache matches layers and history, not the configuration,
    // so without it the same tarball imported again would reuse steps built on the old import.
    '--message',
    `base-recipe=${recipe}`,
    tarball,
    tag,
  ]);
  return tag;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    console.log(ensureBaseImage());
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
