import { afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { Transactions } from '../database/transactions.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AuditService } from './audit.service.js';
import type { AuthEventsRepository, NewAuthEvent } from './auth-events.repository.js';

/** The repository as the buffer sees it: every INSERT it was asked for, failing on demand. */
class FakeEvents {
  readonly inserts: NewAuthEvent[][] = [];
  failuresLeft = 0;
  gate: Promise<void> | undefined;

  async insert(events: NewAuthEvent[]): Promise<void> {
    await this.gate;
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error('connection terminated');
    }
    this.inserts.push(events);
  }

  get rows(): NewAuthEvent[] {
    return this.inserts.flat();
  }
}

const login = (userId: string) => ({ userId, type: 'login_succeeded' as const });
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('AuditService', () => {
  let events: FakeEvents;
  let metrics: MetricsService;
  let audit: AuditService;

  const dropped = async (): Promise<number> =>
    (await metrics.auditEventsDropped.get()).values[0]?.value ?? 0;

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    events = new FakeEvents();
    metrics = new MetricsService();
    audit = new AuditService(events as unknown as AuthEventsRepository, metrics);
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  describe('outside a transaction', () => {
    it('writes the events of the last 200 ms in one INSERT, in the order they happened', async () => {
      await audit.record(login('a'));
      await audit.record({ userId: 'b', type: 'logout', details: { sessionId: 's' } });
      await jest.advanceTimersByTimeAsync(199);
      expect(events.inserts).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(1);
      expect(events.inserts).toHaveLength(1);
      expect(events.rows.map((row) => [row.userId, row.type, row.details])).toEqual([
        ['a', 'login_succeeded', {}],
        ['b', 'logout', { sessionId: 's' }],
      ]);
    });

    it('stamps each event with the time it was recorded, not the time it was written', async () => {
      jest.setSystemTime(new Date('2026-06-01T10:00:00.000Z'));
      await audit.record(login('a'));
      await jest.advanceTimersByTimeAsync(200);
      expect(events.rows[0].createdAt.toISOString()).toBe('2026-06-01T10:00:00.000Z');
    });

    it('writes at once when 100 events wait', async () => {
      for (let index = 0; index < 99; index += 1) await audit.record(login(`u${index}`));
      await nextTurn();
      expect(events.inserts).toHaveLength(0);
      await audit.record(login('u99'));
      await nextTurn();
      expect(events.inserts.map((batch) => batch.length)).toEqual([100]);
    });

    it('writes what is buffered when asked (before a read), and nothing twice', async () => {
      await audit.record(login('a'));
      await audit.flush();
      expect(events.rows).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(1_000);
      await audit.flush();
      expect(events.inserts).toHaveLength(1);
    });

    it('retries a failed batch once at the next flush', async () => {
      events.failuresLeft = 1;
      await audit.record(login('a'));
      await audit.flush();
      expect(events.rows).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(200);
      expect(events.rows.map((row) => row.userId)).toEqual(['a']);
      expect(await dropped()).toBe(0);
    });

    it('drops and counts a batch that failed twice, and keeps writing new events', async () => {
      events.failuresLeft = 2;
      await audit.record(login('a'));
      await audit.record(login('b'));
      await audit.flush();
      await audit.record(login('c'));
      await audit.flush();
      expect(events.rows.map((row) => row.userId)).toEqual(['c']);
      expect(await dropped()).toBe(2);
    });

    it('never rejects a record or a flush while the database fails', async () => {
      events.failuresLeft = 100;
      await expect(audit.record(login('a'))).resolves.toBeUndefined();
      await expect(audit.flush()).resolves.toBeUndefined();
      await expect(audit.flush()).resolves.toBeUndefined();
      expect(await dropped()).toBe(1);
    });

    it('drops and counts events past 10,000 waiting while the database hangs', async () => {
      let release = (): void => {};
      events.gate = new Promise((resolve) => {
        release = resolve;
      });
      // The first 100 are taken by the INSERT that hangs; 10,000 more fill the buffer.
      for (let index = 0; index < 10_105; index += 1) await audit.record(login(`u${index}`));
      expect(await dropped()).toBe(5);
      release();
      await audit.flush();
      expect(events.rows).toHaveLength(10_100);
    });

    it('writes what is buffered on shutdown, and what is recorded after it at once', async () => {
      await audit.record(login('a'));
      await audit.beforeApplicationShutdown();
      expect(events.rows.map((row) => row.userId)).toEqual(['a']);
      await audit.record(login('b'));
      await nextTurn();
      expect(events.rows.map((row) => row.userId)).toEqual(['a', 'b']);
    });

    it('gives a batch that just failed its retry on shutdown', async () => {
      events.failuresLeft = 1;
      await audit.record(login('a'));
      await audit.flush();
      await audit.beforeApplicationShutdown();
      expect(events.rows.map((row) => row.userId)).toEqual(['a']);
    });

    it('counts recorded events by type', async () => {
      await audit.record(login('a'));
      await audit.record(login('b'));
      await audit.record({ userId: 'a', type: 'logout' });
      const values = (await metrics.auditEvents.get()).values;
      expect(Object.fromEntries(values.map((value) => [value.labels.type, value.value]))).toEqual({
        login_succeeded: 2,
        logout: 1,
      });
    });
  });

  describe('inside Transactions.run', () => {
    const transactions = new Transactions({
      transaction: (work: (manager: object) => Promise<unknown>) => work({}),
    } as unknown as DataSource);

    it('writes the event before returning, without buffering it', async () => {
      await transactions.run(() => audit.record(login('a')));
      expect(events.inserts).toEqual([[expect.objectContaining({ userId: 'a' })]]);
      await jest.advanceTimersByTimeAsync(1_000);
      expect(events.inserts).toHaveLength(1);
    });

    it('fails with the INSERT, so the change it belongs to rolls back', async () => {
      events.failuresLeft = 1;
      await expect(transactions.run(() => audit.record(login('a')))).rejects.toThrow(
        'connection terminated',
      );
    });
  });
});
