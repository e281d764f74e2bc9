import { Module } from '@nestjs/common';
import { InFlightRequests } from './in-flight-requests.js';
import { ShutdownState } from './shutdown-state.js';

/** What graceful shutdown shares with the app: the draining flag and the running handlers. */
@Module({
  providers: [ShutdownState, InFlightRequests],
  exports: [ShutdownState, InFlightRequests],
})
export class LifecycleModule {}
