// `node scripts/runtime-modules.mjs <target>`: copies into <target> (a node_modules directory) the
// packages the bundles in dist/bundle load at run time, with their dependencies, from ./node_modules
// (the image's production install). esbuild lists each bundle's external imports in
// dist/bundle/external-imports.json; the packages loaded by a name it cannot see are added below.
// Type declarations, source maps and docs stay behind. The image ships this instead of the whole
// production node_modules (193 MB, mostly what the bundles already hold).
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.cwd();

// Loaded by names esbuild cannot follow: TypeORM requires its driver by name, and @nestjs/swagger
// serves Swagger UI's files from the package's directory (DOCS_ENABLED=true in production).
const LOADED_BY_NAME = ['pg', 'swagger-ui-dist'];

// External, but never loaded in production: the embedded database (production refuses it; see
// src/config/app-config.ts), pino-pretty (development logs only).
const NOT_IN_PRODUCTION = new Set([
  '@electric-sql/pglite',
  '@electric-sql/pglite-socket',
  'pino-pretty',
]);

// Files nothing reads at run time, and Swagger UI's ES-module bundles, which its page never loads.
const LEFT_OUT =
  /(\.d\.[cm]?ts|\.map|\.md|\.markdown|\.tsbuildinfo|\/swagger-ui-es-bundle[^/]*\.js|\/(CHANGELOG|HISTORY|README)[^/]*)$/i;

function packageDir(name, from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === path.dirname(dir)) return undefined;
  }
}

/** The packages the bundles load at run time in production, by name. */
export function runtimePackages(imports) {
  const names = new Set([...Object.values(imports).flat(), ...LOADED_BY_NAME]);
  // An external that is not installed (an optional Nest package, @node-rs/xxhash) is imported only
  // by code that production does not reach.
  return [...names]
    .filter((name) => !NOT_IN_PRODUCTION.has(name) && packageDir(name, root) !== undefined)
    .sort();
}

/** Directories (relative to the root) of the packages and everything they depend on. */
export function dependencyClosure(names) {
  const seen = new Set();
  const visit = (name, from, optional) => {
    const dir = packageDir(name, from);
    if (!dir) {
      if (optional) return;
      throw new Error(
        `${name} (needed by ${path.relative(root, from) || 'the bundle'}) is not installed`,
      );
    }
    if (seen.has(dir)) return;
    seen.add(dir);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      visit(dependency, dir, false);
    }
    // Per-platform binaries (@node-rs/argon2's) and optional peers: only those installed.
    for (const dependency of [
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]) {
      visit(dependency, dir, true);
    }
  };
  for (const name of names) visit(name, root, false);
  return [...seen].map((dir) => path.relative(root, dir)).sort();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const target = process.argv[2];
  if (!target) {
    console.error('usage: node scripts/runtime-modules.mjs <target node_modules directory>');
    process.exit(2);
  }
  const imports = JSON.parse(readFileSync('dist/bundle/external-imports.json', 'utf8'));
  const dirs = dependencyClosure(runtimePackages(imports));
  for (const dir of dirs) {
    const destination = path.join(target, path.relative('node_modules', dir));
    cpSync(dir, destination, {
      recursive: true,
      filter: (source) =>
        !LEFT_OUT.test(source) && !path.relative(dir, source).startsWith('node_modules'),
    });
  }
  console.log(`${dirs.length} packages copied to ${target}`);
}
