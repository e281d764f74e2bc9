import module from 'node:module';

// Node >= 22.1 caches compiled code between starts (NODE_COMPILE_CACHE, else the OS temp dir),
// which shortens a cold start; a no-op on Node 20. It must run before the application's modules
// load, hence the dynamic import.
module.enableCompileCache?.();
await import('./bootstrap.js');
