// `npm run build`: the Nest CLI compiles src/ to dist/ (tsc + the Swagger plugin), then esbuild
// bundles the application and its dependencies into one file, dist/bundle/app.js, which the entry
// point dist/bundle/main.js runs (with tracing on, dist/bundle/app-traced.js: see LAUNCHED). Loading
// ~2,000 separate modules cost about 450 ms of the cold start (file reads, path resolution, one
// compile per module); one file removes most of it (README, Performance).
// The CLIs are bundled too (dist/bundle/migration-cli.js, create-admin.cli.js, sessions-purge.cli.js),
// so the image ships dist/bundle and only the packages the bundles load at run time: esbuild's list
// of each bundle's external imports goes to dist/bundle/external-imports.json, which
// scripts/runtime-modules.mjs reads.
import { spawnSync } from 'node:child_process';
import { builtinModules, createRequire } from 'node:module';
import { mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const root = path.resolve(import.meta.dirname, '..');
const bundleDir = path.join(root, 'dist', 'bundle');
export const entry = path.join(bundleDir, 'main.js');
const reflectMetadata = createRequire(import.meta.url).resolve('reflect-metadata');

/**
 * dist/bundle/main.js is the entry point (src/main.ts): it reads the tracing settings and imports
 * one of the files below. Tracing must start before the packages it instruments load, and
 * require-in-the-middle cannot patch code inside a bundle. Leaving them out of the one bundle would
 * cost every start their loading (measured here: Express 132 files, 0.35 s; @redis/client 424
 * files, 0.5 s), so the application is bundled twice.
 */
const LAUNCHED = {
  './bootstrap.js': { input: 'bootstrap.js', output: 'app.js', external: [] },
  './tracing/traced-app.js': {
    input: 'tracing/traced-app.js',
    output: 'app-traced.js',
    // What the instrumentations patch, loaded from node_modules. node:http is built in, and pg is
    // loaded from node_modules in both bundles (TypeORM looks its driver up by name).
    external: ['express', 'pg', '@redis/client'],
  },
  // The OpenTelemetry SDK bundled (3 MB, against 36 MB of packages), so the runtime needs none
  // of it in node_modules: they are devDependencies.
  './tracing/start-tracing.js': {
    input: 'tracing/start-tracing.js',
    output: 'tracing.js',
    external: [],
  },
};

// Left out of the bundle and loaded from node_modules at run time: native addons, packages that
// read files next to their own code (WASM, static assets, worker threads), and optional Nest
// packages that are not installed and never loaded. Nothing here may be imported by a bundled
// module that also needs its classes to be the bundled ones (instanceof, DI tokens).
const EXTERNAL = [
  '@node-rs/argon2',
  '@electric-sql/pglite',
  '@electric-sql/pglite-socket',
  'swagger-ui-dist',
  'pino-pretty',
  'pg-native',
  '@nestjs/microservices',
  '@nestjs/microservices/*',
  '@nestjs/websockets',
  '@nestjs/websockets/*',
  '@fastify/static',
];

// The command-line tools, each bundled on its own: a Job or an operator runs one at a time.
const CLIS = {
  'database/migration-cli.js': 'migration-cli.js',
  'auth/create-admin.cli.js': 'create-admin.cli.js',
  'auth/sessions-purge.cli.js': 'sessions-purge.cli.js',
};

/**
 * `\\uXXXX` for every non-ASCII character. esbuild leaves some in regular expression literals
 * (validator's locale alphabets), and one such character makes V8 hold the whole 9 MB source as
 * UTF-16: 9 MiB more resident memory. The escape means the same in strings, regular expressions,
 * identifiers and comments; only columns on those few lines shift in the source map.
 */
export function escapeNonAscii(source) {
  return source.replace(
    /[\u0080-\uffff]/g,
    (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * @nestjs/typeorm reads two classes removed in TypeORM 1 through `createRequire(...)('typeorm')`,
 * which the bundler cannot follow: at run time it loaded a second, complete TypeORM (every driver)
 * from node_modules, 8 MiB of RSS. The same lookup against the bundled TypeORM instead.
 */
const typeormCompatPlugin = {
  name: 'nestjs-typeorm-compat',
  setup(build) {
    build.onLoad(
      { filter: /@nestjs[\\/]typeorm[\\/]dist[\\/]common[\\/]typeorm-compat\.js$/ },
      async (args) => {
        const original = await readFile(args.path, 'utf8');
        if (!original.includes("require('typeorm')")) {
          throw new Error(`${args.path} changed: review the nestjs-typeorm-compat plugin`);
        }
        return {
          loader: 'js',
          contents: [
            "import * as typeorm from 'typeorm';",
            "export const Connection = typeorm['Connection'];",
            "export const AbstractRepository = typeorm['AbstractRepository'];",
          ].join('\n'),
        };
      },
    );
  },
};

/**
 * Classes keep their names. Bundling renames clashing top-level names (two modules' `Logger`s), and
 * tsc's `let X = class X {...}` for decorated classes makes it rename the inner `X` too, so
 * `X.name` became `X2` or `_X`: Swagger names schemas after DTO classes, and Nest's and our logs
 * name their context after classes. esbuild's keepNames would fix that by wrapping every function
 * as well, also the closures libraries create per request (rxjs operators, Express handlers), in a
 * call that redefines `name`: 12% of a /health/live request's CPU. Instead, every class head in
 * the service's own modules and in Nest's gets a static block that sets its written name.
 */
const CLASS_HEAD =
  /^([ \t]*(?:export\s+(?:default\s+)?)?(?:(?:let|var|const)\s+[\w$]+\s*=\s*)?class\s+([A-Za-z_$][\w$]*)\b[^{\n]*\{)/gm;
const KEEP_CLASS_NAME_HELPER =
  "const __keepClassName = (target, name) => { if (target.name !== name) Object.defineProperty(target, 'name', { value: name, configurable: true }); };";

export function withClassNamesKept(source) {
  return source.replace(
    CLASS_HEAD,
    (head, _match, name) => `${head} static { __keepClassName(this, ${JSON.stringify(name)}); }`,
  );
}

const classNamesPlugin = {
  name: 'keep-class-names',
  setup(build) {
    const ownCode = path.join(root, 'dist') + path.sep;
    // esbuild reports real paths: node_modules may be a symlink (a git worktree, a shared install).
    const nest = path.join(realpathSync(path.join(root, 'node_modules')), '@nestjs') + path.sep;
    build.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(ownCode) && !args.path.startsWith(nest)) return undefined;
      const code = withClassNamesKept(await readFile(args.path, 'utf8'));
      // Lines stay where they were, so tsc's source map (inlined: esbuild reads data URLs from a
      // plugin's output) still leads the bundle's map to src/*.ts.
      const map = await readFile(`${args.path}.map`, 'utf8').catch(() => undefined);
      const contents = map
        ? `${code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '')}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(map).toString('base64')}\n`
        : code;
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

const packageOf = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * A bundled module that requires or imports a bundled package by name at run time gets a second
 * copy from node_modules, whose classes and DI tokens match nothing in the bundle (as
 * @nestjs/typeorm's compatibility lookup did). Literal specifiers are found here; lookups by a
 * variable (NestFactory's adapter, terminus's packages) are avoided at their call sites.
 */
export function secondCopies(source, inputs) {
  const bundled = new Set(
    Object.keys(inputs)
      .map((input) => /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1])
      .filter(Boolean),
  );
  const loads = source.matchAll(
    /\b(?:__require|require\d*)\(\s*"([^"./][^"]*)"\s*\)|\bimport\(\s*"([^"./][^"]*)"\s*\)/g,
  );
  return [...new Set([...loads].map((match) => match[1] ?? match[2]))].filter((specifier) =>
    bundled.has(packageOf(specifier)),
  );
}

/** The entry point's dynamic imports of the application and the tracing setup, as bundled files. */
const launcherPlugin = {
  name: 'launcher',
  setup(build) {
    const launcher = path.join(root, 'dist', 'main.js');
    build.onResolve({ filter: /^\.\/.*\.js$/ }, (args) => {
      const launched = args.importer === launcher ? LAUNCHED[args.path] : undefined;
      return launched ? { path: `./${launched.output}`, external: true } : undefined;
    });
  },
};

/**
 * Bundles entry points (`{ input: 'x.js', output: 'y.js' }`) into dist/bundle. Several entries
 * share their common code through chunk files (`splitting`): the CLIs each hold most of Nest and
 * TypeORM, 5-10 MB apiece. The application stays one file: split, it broke (ValidationPipe's
 * lazily required class-transformer came back without its functions: every body was refused).
 */
async function bundleGroup(entries, { external = [], plugins = [] } = {}) {
  const { build } = await import('esbuild');
  const { outputFiles, metafile } = await build({
    entryPoints: entries.map(({ input, output }) => ({
      in: path.join(root, 'dist', input),
      out: output.replace(/\.js$/, ''),
    })),
    outdir: bundleDir,
    splitting: entries.length > 1,
    // Split code runs chunk by chunk in import order, which is not the order of the sources'
    // imports (esbuild #399): every output file imports the metadata polyfill first.
    inject: entries.length > 1 ? [reflectMetadata] : [],
    chunkNames: 'chunk-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    external: [...EXTERNAL, ...external],
    // The first plugin to return contents for a file wins: the compat stub before the class names.
    plugins: [...plugins, typeormCompatPlugin, classNamesPlugin],
    // Chains tsc's maps, so `--enable-source-maps` points at src/*.ts.
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'linked',
    logLevel: 'error',
    write: false,
    metafile: true,
    // CommonJS dependencies call require() for Node's built-ins and for the externals above.
    banner: {
      js: [
        "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        KEEP_CLASS_NAME_HELPER,
      ].join('\n'),
    },
  });
  const code = outputFiles.filter((file) => file.path.endsWith('.js'));
  for (const file of code) {
    // esbuild reprints every real static block over several lines; one left on a single line was a
    // "class X {" at the start of a line inside a string or template, which CLASS_HEAD rewrote.
    if (file.text.includes('static { __keepClassName(')) {
      throw new Error(
        'a class-name block landed inside a string: narrow CLASS_HEAD in scripts/build.mjs',
      );
    }
    const duplicated = secondCopies(file.text, metafile.inputs);
    if (duplicated.length > 0) {
      const name = path.basename(file.path);
      throw new Error(`${name} loads bundled packages again at run time: ${duplicated.join(', ')}`);
    }
  }
  const imported = {};
  for (const [output, { imports }] of Object.entries(metafile.outputs)) {
    if (!output.endsWith('.js')) continue;
    imported[path.basename(output)] = [
      ...new Set(
        imports
          .filter((item) => item.external && !isBuiltin(item.path) && !/^[./]/.test(item.path))
          .map((item) => packageOf(item.path)),
      ),
    ].sort();
  }
  return {
    imported,
    files: outputFiles.map((file) => ({
      path: file.path,
      contents: file.path.endsWith('.js') ? escapeNonAscii(file.text) : file.contents,
    })),
  };
}

const isBuiltin = (specifier) =>
  specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]);

export async function bundle() {
  const files = [];
  const imported = {};
  const add = (result) => {
    files.push(...result.files);
    Object.assign(imported, result.imported);
  };
  for (const launched of Object.values(LAUNCHED)) {
    add(await bundleGroup([launched], { external: launched.external }));
  }
  add(await bundleGroup(Object.entries(CLIS).map(([input, output]) => ({ input, output }))));
  // The entry point last: build-if-stale.mjs compares the sources with its time.
  add(await bundleGroup([{ input: 'main.js', output: 'main.js' }], { plugins: [launcherPlugin] }));
  rmSync(bundleDir, { recursive: true, force: true });
  mkdirSync(bundleDir, { recursive: true });
  for (const file of files) writeFileSync(file.path, file.contents);
  writeFileSync(
    path.join(bundleDir, 'external-imports.json'),
    `${JSON.stringify(imported, null, 2)}\n`,
  );
}

export function compile() {
  const result = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules/@nestjs/cli/bin/nest.js'), 'build'],
    { cwd: root, stdio: 'inherit' },
  );
  if (result.status !== 0) throw new Error(`nest build failed (exit ${result.status})`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    compile();
    await bundle();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
