import type { MigrationInterface } from 'typeorm';

/** Migration classes in order, listed explicitly: path globs fail intermittently under ESM. */
export const MIGRATIONS: Array<new () => MigrationInterface> = [];
