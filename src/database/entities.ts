import { Session } from '../auth/session.entity.js';
import { SessionTombstone } from '../auth/session-tombstone.entity.js';
import { UsedRefreshToken } from '../auth/used-refresh-token.entity.js';
import { User } from '../users/user.entity.js';

/** Entity classes, listed explicitly: path globs fail intermittently under ESM. */
export const ENTITIES: Array<new () => object> = [
  User,
  Session,
  UsedRefreshToken,
  SessionTombstone,
];
