import { Injectable, Logger } from '@nestjs/common';
import { RedisConnection } from '../redis/redis.connection.js';

export interface WindowCount {
  count: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

export interface FailureState {
  failures: number;
  /** Milliseconds the key stays locked; 0 when it is not locked. */
  lockedForMs: number;
}

// Fixed window: the first hit sets the expiry; every replica shares the counter.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

// Failures within a window; at the threshold and beyond, a lock that doubles with each failure.
const FAILURE_SCRIPT = `
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local threshold = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local baseLockMs = tonumber(ARGV[3])
local nowMs = tonumber(ARGV[4])
if failures >= threshold then
  local lockMs = math.min(baseLockMs * (2 ^ (failures - threshold)), windowMs)
  redis.call('HSET', KEYS[1], 'lockedUntil', nowMs + lockMs)
end
redis.call('PEXPIRE', KEYS[1], windowMs)
return failures`;

interface MemoryEntry {
  count: number;
  lockedUntil: number;
  expiresAt: number;
}

const MEMORY_SWEEP_THRESHOLD = 10_000;

/**
 * Counters for rate limits and login back-off: in Redis when it is configured and answering
 * (shared by every replica), otherwise in this process (logged), so a Redis outage never turns
 * into refused logins.
 */
@Injectable()
export class RateLimitStore {
  private readonly memory = new Map<string, MemoryEntry>();
  private readonly logger = new Logger('RateLimit');

  constructor(private readonly redis: RedisConnection) {}

  async hit(name: string, windowMs: number): Promise<WindowCount> {
    const key = this.redis.key(`rl:${name}`);
    const client = this.redis.client;
    if (client?.isReady) {
      try {
        const [count, resetMs] = (await client.eval(HIT_SCRIPT, {
          keys: [key],
          arguments: [String(windowMs)],
        })) as [number, number];
        return { count, resetMs };
      } catch (error) {
        this.fellBack(error);
      }
    }
    const entry = this.memoryEntry(key, windowMs);
    entry.count += 1;
    return { count: entry.count, resetMs: entry.expiresAt - Date.now() };
  }

  async failureState(name: string): Promise<FailureState> {
    const key = this.redis.key(`fail:${name}`);
    const client = this.redis.client;
    const now = Date.now();
    if (client?.isReady) {
      try {
        const [failures, lockedUntil] = await client.hmGet(key, ['failures', 'lockedUntil']);
        return {
          failures: Number(failures ?? 0),
          lockedForMs: Math.max(0, Number(lockedUntil ?? 0) - now),
        };
      } catch (error) {
        this.fellBack(error);
      }
    }
    const entry = this.memory.get(key);
    if (!entry || entry.expiresAt <= now) return { failures: 0, lockedForMs: 0 };
    return { failures: entry.count, lockedForMs: Math.max(0, entry.lockedUntil - now) };
  }

  async recordFailure(
    name: string,
    threshold: number,
    windowMs: number,
    baseLockMs: number,
  ): Promise<void> {
    const key = this.redis.key(`fail:${name}`);
    const client = this.redis.client;
    const now = Date.now();
    if (client?.isReady) {
      try {
        await client.eval(FAILURE_SCRIPT, {
          keys: [key],
          arguments: [String(threshold), String(windowMs), String(baseLockMs), String(now)],
        });
        return;
      } catch (error) {
        this.fellBack(error);
      }
    }
    const entry = this.memoryEntry(key, windowMs);
    entry.count += 1;
    entry.expiresAt = now + windowMs;
    if (entry.count >= threshold) {
      entry.lockedUntil = now + Math.min(baseLockMs * 2 ** (entry.count - threshold), windowMs);
    }
  }

  async clearFailures(name: string): Promise<void> {
    const key = this.redis.key(`fail:${name}`);
    this.memory.delete(key);
    const client = this.redis.client;
    if (!client?.isReady) return;
    await client.del(key).catch((error: unknown) => this.fellBack(error));
  }

  private memoryEntry(key: string, windowMs: number): MemoryEntry {
    const now = Date.now();
    let entry = this.memory.get(key);
    if (!entry || entry.expiresAt <= now) {
      if (this.memory.size >= MEMORY_SWEEP_THRESHOLD) this.sweep(now);
      entry = { count: 0, lockedUntil: 0, expiresAt: now + windowMs };
      this.memory.set(key, entry);
    }
    return entry;
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.memory) if (entry.expiresAt <= now) this.memory.delete(key);
  }

  private fellBack(error: unknown): void {
    this.redis.logError(error);
    this.logger.debug('Rate limit falling back to per-process counters');
  }
}
