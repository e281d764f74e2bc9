import { ConfigValidationError } from '../../src/config/app-config.js';

/** The problems a configuration loader reports for `environment`; throws if it accepts it. */
export function refusalsOf<E>(load: (environment: E) => unknown, environment: E): string[] {
  try {
    load(environment);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}
