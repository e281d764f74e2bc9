import { AccountToken } from './account/account-token.entity.js';
import { AuthEvent } from './audit/auth-event.entity.js';
import { OutboxMail } from './mail/outbox-mail.entity.js';
import { Session } from './auth/session.entity.js';
import { SessionTombstone } from './auth/session-tombstone.entity.js';
import { UsedRefreshToken } from './auth/used-refresh-token.entity.js';
import { User } from './users/user.entity.js';

/**
 * Every feature's entity classes, for the data source (application and migration CLI). Part of the
 * composition root, like `app.module.ts`: `database/` stays free of feature imports. Listed
 * explicitly: path globs fail intermittently under ESM.
 */
export const ENTITIES: Array<new () => object> = [
  User,
  Session,
  UsedRefreshToken,
  SessionTombstone,
  AccountToken,
  OutboxMail,
  AuthEvent,
];
