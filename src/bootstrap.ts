import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { type TraceIdSource, useTraceIdSource } from './common/tracing/trace-ids.js';
import { loggableError } from './common/errors/loggable-error.js';
import { APP_CONFIG, ConfigValidationError, type AppConfig } from './config/app-config.js';
import { installGracefulShutdown } from './lifecycle/graceful-shutdown.js';
import { setupApp } from './setup-app.js';

async function createAndListen(): Promise<void> {
  // An explicit adapter: left to itself, NestFactory imports @nestjs/platform-express by name at run
  // time, which in the bundle would load a second copy of Nest from node_modules.
  const app = await NestFactory.create<NestExpressApplication>(AppModule, new ExpressAdapter(), {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  setupApp(app);
  const config = app.get<AppConfig>(APP_CONFIG);
  await app.listen(config.http.port, config.http.host);
  installGracefulShutdown(app, app.get(Logger));
  app.get(Logger).log(`Listening on http://${config.http.host}:${config.http.port}`, 'Bootstrap');
}

/** Starts the service; `traceIds` is given when tracing is on (src/main.ts). */
export async function bootstrap(traceIds?: TraceIdSource): Promise<void> {
  useTraceIdSource(traceIds);
  await createAndListen().catch((error: unknown) => {
    // Configuration errors are the operator's to fix: one readable list, no stack.
    if (error instanceof ConfigValidationError) console.error(error.message);
    // The stack, not the object: a failed insert (the ADMIN_EMAIL bootstrap) carries its parameters.
    else console.error('Startup failed:', loggableError(error).stack ?? String(error));
    process.exit(1);
  });
}
