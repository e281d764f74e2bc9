// Preloaded into the built service (`NODE_OPTIONS=--import <this file>`) by a test: at exit, writes
// every module the process loaded to LOADED_MODULES_FILE, one per line. ES modules are seen by a
// load hook, CommonJS ones in require's cache (Node 20's hooks do not see require()).
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.LOADED_MODULES_FILE;
register('./loaded-modules.hooks.mjs', import.meta.url, { data: { file } });
process.on('exit', () => {
  appendFileSync(file, `${Object.keys(createRequire(import.meta.url).cache).join('\n')}\n`);
});
