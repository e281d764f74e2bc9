import os from 'node:os';

/** @type {import('jest').Config} */
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  // Sources import siblings as `./x.js` (Node ESM); jest resolves the `.ts` file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFiles: ['reflect-metadata'],
};

export default {
  // Jest's default (cores - 1) is one worker on a 2-core machine; the e2e files spend most of
  // their time waiting on databases, processes and builds, so two share two cores well.
  maxWorkers: Math.max(2, os.availableParallelism() - 1),
  reporters: ['default', '<rootDir>/scripts/summary-reporter.cjs'],
  projects: [
    {
      ...shared,
      displayName: 'unit',
      // test/static: checks of the Dockerfile, compose file and manifests that need no service.
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/static/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      // `testTimeout` is not applied per project; the setup file sets it.
      setupFilesAfterEnv: ['<rootDir>/test/support/jest-e2e.setup.ts'],
    },
  ],
};
