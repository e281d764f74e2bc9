import { Injectable } from '@nestjs/common';

export type AccessEndReason =
  | 'user_disabled'
  | 'user_deleted'
  | 'roles_reduced'
  | 'roles_increased'
  | 'credentials_reset'
  | 'password_reset'
  | 'email_changed';

/** The caller's own session survives a change the caller made (an email change). */
export interface KeptSession {
  sessionId: string;
  /** The credentials version the change moved the account from and to. */
  credentialsVersion: { from: number; to: number };
}

export type AccessEndedListener = (
  userId: string,
  reason: AccessEndReason,
  kept?: KeptSession,
) => Promise<void>;

/**
 * Tells whoever holds a user's sessions (the auth feature, which depends on users and not the
 * reverse) that the user's access must end now. Listeners are awaited: the write that caused it
 * does not answer until every session is revoked.
 */
@Injectable()
export class UserAccessEvents {
  private readonly listeners: AccessEndedListener[] = [];

  onAccessEnded(listener: AccessEndedListener): void {
    this.listeners.push(listener);
  }

  async accessEnded(userId: string, reason: AccessEndReason, kept?: KeptSession): Promise<void> {
    for (const listener of this.listeners) await listener(userId, reason, kept);
  }
}
