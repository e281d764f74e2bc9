import type { AuthenticatedUser } from '../common/security/authenticated-user.js';

/** Who is calling, as the auth services need it: the user and the session of the access token. */
export interface Caller {
  userId: string;
  sessionId: string;
}

export const callerOf = (user: AuthenticatedUser): Caller => ({
  userId: user.id,
  sessionId: user.sessionId,
});
