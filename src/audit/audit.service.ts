import { Injectable } from '@nestjs/common';
import { storableClientIp } from '../common/http/client-address.js';
import { requestContextStorage } from '../common/http/request-context.js';
import type { AuthEventDetails, AuthEventType } from './auth-event.entity.js';
import { AuthEventsRepository } from './auth-events.repository.js';

export interface AuthEventRecord {
  userId: string;
  type: AuthEventType;
  /** The admin who acted, when not the account's owner. */
  actorId?: string;
  /** Small, never a secret (no password, token or hash). */
  details?: AuthEventDetails;
}

const USER_AGENT_MAX_LENGTH = 512;

/**
 * Records what happened to an account, with the client address, user agent and request id of the
 * request that caused it (read from the request context).
 */
@Injectable()
export class AuditService {
  constructor(private readonly events: AuthEventsRepository) {}

  async record(event: AuthEventRecord): Promise<void> {
    const context = requestContextStorage.getStore();
    const client = context?.client();
    await this.events.insert([
      {
        userId: event.userId,
        type: event.type,
        actorId: event.actorId ?? null,
        ip: storableClientIp(client?.ip),
        userAgent: client?.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
        requestId: context?.requestId ?? null,
        details: event.details ?? {},
      },
    ]);
  }
}
