import { Module } from '@nestjs/common';
import { BackgroundTasks } from './background-tasks.js';
import { InFlightRequests } from './in-flight-requests.js';
import { ShutdownState } from './shutdown-state.js';

/**
 * What graceful shutdown shares with the app: the draining flag, the running handlers and the
 * background work they started.
 */
@Module({
  providers: [ShutdownState, InFlightRequests, BackgroundTasks],
  exports: [ShutdownState, InFlightRequests, BackgroundTasks],
})
export class LifecycleModule {}
