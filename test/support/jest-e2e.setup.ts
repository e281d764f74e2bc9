import { jest } from '@jest/globals';

// Suites boot applications and databases; the 5 s default is too tight on a loaded 2-core machine.
jest.setTimeout(60_000);
