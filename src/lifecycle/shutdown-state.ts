import { Injectable } from '@nestjs/common';

/** Flipped once when SIGTERM arrives; readiness answers 503 from then on. */
@Injectable()
export class ShutdownState {
  private shuttingDown = false;

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  begin(): void {
    this.shuttingDown = true;
  }
}
