import { tracingConfigFromEnvironment } from './config/tracing-config.js';

// The application is imported only after tracing has started: the instrumentations patch Express,
// pg and Redis as they load. With tracing off no OpenTelemetry module is loaded, and the bundle
// runs dist/bundle/app.js, in which those packages are bundled (scripts/build.mjs).
const tracing = tracingConfigFromEnvironment();
if (tracing) {
  const { startTracing } = await import('./tracing/start-tracing.js');
  const traceIds = startTracing(tracing);
  const { bootstrap } = await import('./tracing/traced-app.js');
  await bootstrap(traceIds);
} else {
  const { bootstrap } = await import('./bootstrap.js');
  await bootstrap();
}
