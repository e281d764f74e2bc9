import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { inCurrentTransaction } from '../database/transactions.js';
import { AuthEvent } from './auth-event.entity.js';

export type NewAuthEvent = Pick<
  AuthEvent,
  'userId' | 'type' | 'createdAt' | 'actorId' | 'ip' | 'userAgent' | 'requestId' | 'details'
>;

export interface AuthEventsPageQuery {
  userId: string;
  limit: number;
  /** Events strictly older than this one in (created_at, id) order. */
  after?: { createdAt: Date; id: string };
}

@Injectable()
export class AuthEventsRepository {
  constructor(@InjectRepository(AuthEvent) private readonly events: Repository<AuthEvent>) {}

  /** Stores events in one INSERT, in the caller's transaction when there is one. */
  /** One statement for the whole batch; plain SQL, as it runs on every sign-up and sign-in. */
  async insert(events: NewAuthEvent[]): Promise<void> {
    if (events.length === 0) return;
    await inCurrentTransaction(this.events).query(
      `INSERT INTO auth_events
         (user_id, type, created_at, actor_id, ip, user_agent, request_id, details)
       SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::timestamptz[], $4::uuid[],
         $5::varchar[], $6::varchar[], $7::varchar[], $8::jsonb[])`,
      [
        events.map((event) => event.userId),
        events.map((event) => event.type),
        events.map((event) => event.createdAt),
        events.map((event) => event.actorId),
        events.map((event) => event.ip),
        events.map((event) => event.userAgent),
        events.map((event) => event.requestId),
        events.map((event) => JSON.stringify(event.details)),
      ],
    );
  }

  /** Up to `limit` of the user's events, newest first (the (user_id, created_at, id) index). */
  findPage(page: AuthEventsPageQuery): Promise<AuthEvent[]> {
    const query = this.events
      .createQueryBuilder('event')
      .where('event.user_id = :userId', { userId: page.userId })
      .orderBy('event.created_at', 'DESC')
      .addOrderBy('event.id', 'DESC')
      .limit(page.limit);
    if (page.after) {
      query.andWhere('(event.created_at, event.id) < (:createdAt, :id)', {
        createdAt: page.after.createdAt,
        id: page.after.id,
      });
    }
    return query.getMany();
  }

  /** Deletes up to `limit` events older than `days` days; returns how many. */
  async deleteOlderThan(days: number, limit: number): Promise<number> {
    const result: unknown = await this.events.query(
      `DELETE FROM auth_events WHERE id IN (
         SELECT id FROM auth_events WHERE created_at < now() - make_interval(days => $1) LIMIT $2)
       RETURNING 1`,
      [days, limit],
    );
    // DELETE ... RETURNING comes back as [rows, affected].
    const rows = Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result;
    return Array.isArray(rows) ? rows.length : 0;
  }
}
