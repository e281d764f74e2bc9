import { ConfigValidationError } from '../../config/app-config.js';
import { loggableError } from '../errors/loggable-error.js';

/**
 * Ends a command-line tool with the exit code `run` resolves to, or 1 when it fails.
 * Configuration errors are the operator's to fix: one readable list, no stack. Anything else as
 * its stack, never the object (a query error carries its parameters).
 */
export function exitWith(run: Promise<number>): void {
  run.then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(
        error instanceof ConfigValidationError
          ? error.message
          : (loggableError(error).stack ?? String(error)),
      );
      process.exit(1);
    },
  );
}
