import type { Request } from 'express';

/** Who made the request, as proven by a verified, unrevoked access token. */
export interface AuthenticatedUser {
  id: string;
  sessionId: string;
  roles: string[];
  /** Access token expiry, seconds since the epoch. */
  expiresAt: number;
}

export type AuthenticatedRequest = Request & { user?: AuthenticatedUser };
