import type { MigrationInterface } from 'typeorm';
import { InitialSchema1795633572203 } from './1795633572203-InitialSchema.js';
import { SessionTombstones1795635592636 } from './1795635592636-SessionTombstones.js';
import { CredentialsVersion1796167807467 } from './1796167807467-CredentialsVersion.js';
import { AccountLifecycle1796182359831 } from './1796182359831-AccountLifecycle.js';

/** Migration classes in order, listed explicitly: path globs fail intermittently under ESM. */
export const MIGRATIONS: Array<new () => MigrationInterface> = [
  InitialSchema1795633572203,
  SessionTombstones1795635592636,
  CredentialsVersion1796167807467,
  AccountLifecycle1796182359831,
];
