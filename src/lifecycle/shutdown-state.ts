import { Injectable } from '@nestjs/common';

/** Flipped once when SIGTERM arrives; readiness answers 503 from then on. */
@Injectable()
export class ShutdownState {
  private shuttingDown = false;
  private deadline: number | undefined;

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** When the process exits 1 if shutdown has not finished (epoch ms); unset before a signal. */
  get deadlineAt(): number | undefined {
    return this.deadline;
  }

  begin(deadlineAt?: number): void {
    this.shuttingDown = true;
    this.deadline = deadlineAt;
  }
}
