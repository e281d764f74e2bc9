import { ApiProperty } from '@nestjs/swagger';
import {
  AUTH_EVENT_TYPES,
  type AuthEvent,
  type AuthEventDetails,
  type AuthEventType,
} from '../auth-event.entity.js';

/** One event of an account's history, as clients see it. Built only by `toAuthEventResponse`. */
export class AuthEventResponseDto {
  @ApiProperty({ example: '1024', description: 'Increasing per event; opaque to clients' })
  id: string;

  @ApiProperty({ enum: AUTH_EVENT_TYPES, example: 'login_succeeded' })
  type: AuthEventType;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '203.0.113.7',
    description: 'The client address of the request that caused it (after TRUST_PROXY)',
  })
  ip: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0 (X11; Linux x86_64)' })
  userAgent: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The `X-Request-Id` of the request that caused it, to find it in the logs',
  })
  requestId: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The admin who acted on the account; null when its owner (or no one) did',
  })
  actorId: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { sessionId: '0b6d7c1e-3f7e-4a55-9a8c-2f1d5c3b9e10' },
    description:
      'Small facts about the event, by type: `sessionId` (login_succeeded, refresh, ' +
      'refresh_reuse_detected, logout, session_revoked), `reason` (login_failed: ' +
      '`wrong_password`, `account_disabled`, `locked`; password_changed: `admin_bootstrap` when ' +
      'the operator reset it), `from`/`to` (roles_changed). Never a secret.',
  })
  details: AuthEventDetails;
}

export function toAuthEventResponse(event: AuthEvent): AuthEventResponseDto {
  return {
    id: event.id,
    type: event.type,
    createdAt: event.createdAt.toISOString(),
    ip: event.ip,
    userAgent: event.userAgent,
    requestId: event.requestId,
    actorId: event.actorId,
    details: event.details,
  };
}

export class AuthEventsPageResponseDto {
  @ApiProperty({ type: [AuthEventResponseDto] })
  data: AuthEventResponseDto[];

  /** Pass as `cursor` to get the next page; null on the last page. */
  @ApiProperty({ type: String, nullable: true, example: 'eyJjIjoiMjAyNi0xMS0yNVQxODo0OTox...' })
  nextCursor: string | null;
}
