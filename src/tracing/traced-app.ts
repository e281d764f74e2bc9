// The application as loaded with tracing on. scripts/build.mjs bundles this entry with Express, pg
// and @redis/client left in node_modules, where the instrumentations can patch them.
export { bootstrap } from '../bootstrap.js';
