import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { inCurrentTransaction } from '../database/transactions.js';
import { AuthEvent } from './auth-event.entity.js';

export type NewAuthEvent = Pick<
  AuthEvent,
  'userId' | 'type' | 'actorId' | 'ip' | 'userAgent' | 'requestId' | 'details'
>;

@Injectable()
export class AuthEventsRepository {
  constructor(@InjectRepository(AuthEvent) private readonly events: Repository<AuthEvent>) {}

  /** Stores events, in the caller's transaction when there is one. */
  async insert(events: NewAuthEvent[]): Promise<void> {
    if (events.length === 0) return;
    await inCurrentTransaction(this.events).insert(events);
  }
}
