import type { Server } from 'node:http';
import type { INestApplication, LoggerService } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ShutdownState } from './shutdown-state.js';
import { InFlightRequests } from './in-flight-requests.js';

const IDLE_SWEEP_INTERVAL_MS = 250;

/** During shutdown, responses ask clients to reconnect elsewhere rather than reuse this socket. */
export function closeConnectionsWhileDraining(state: ShutdownState) {
  return (_request: Request, response: Response, next: NextFunction): void => {
    if (state.isShuttingDown) response.setHeader('Connection', 'close');
    next();
  };
}

/**
 * SIGTERM/SIGINT: readiness turns 503 at once; after `SHUTDOWN_DRAIN_MS` (time for the load
 * balancer to notice) the listener closes, in-flight requests (and handlers whose client hung up)
 * finish, then pools and connections close (Nest shutdown hooks) and the process exits 0. `SHUTDOWN_TIMEOUT_MS` bounds the whole
 * drain; past it the process exits 1.
 */
export function installGracefulShutdown(app: INestApplication, logger: LoggerService): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  const state = app.get(ShutdownState);
  let started = false;

  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (started) return;
    started = true;
    state.begin(Date.now() + config.shutdown.timeoutMs);
    logger.log(`${signal} received: draining (readiness is now 503)`, 'Shutdown');
    const deadline = setTimeout(() => {
      logger.error(
        `Shutdown exceeded ${config.shutdown.timeoutMs} ms; exiting`,
        undefined,
        'Shutdown',
      );
      process.exit(1);
    }, config.shutdown.timeoutMs);
    deadline.unref();

    await new Promise((resolve) => setTimeout(resolve, config.shutdown.drainMs));
    const server = app.getHttpServer() as Server;
    const sweeper = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_INTERVAL_MS);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearInterval(sweeper);
    await app.get(InFlightRequests).idle();
    await app.close();
    logger.log('Shutdown complete', 'Shutdown');
    clearTimeout(deadline);
    process.exitCode = 0;
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, (received) => {
      shutdown(received).catch((error: unknown) => {
        logger.error(`Shutdown failed: ${String(error)}`, undefined, 'Shutdown');
        process.exit(1);
      });
    });
  }
}
