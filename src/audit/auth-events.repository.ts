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
  async insert(events: NewAuthEvent[]): Promise<void> {
    if (events.length === 0) return;
    await inCurrentTransaction(this.events).createQueryBuilder().insert().values(events).execute();
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
