import { Injectable, Logger } from '@nestjs/common';
import { RedisConnection } from '../redis/redis.connection.js';

export interface WindowCount {
  count: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
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

// Attempts count as failures until they succeed (then the key is cleared), and are counted before
// the password is checked: parallel guesses cannot all slip in before the first failure is
// recorded. From the threshold on, the key is locked for a time that doubles per attempt.
const ATTEMPT_SCRIPT = `
local nowMs = tonumber(ARGV[4])
local lockedUntil = tonumber(redis.call('HGET', KEYS[1], 'lockedUntil') or '0')
if lockedUntil > nowMs then
  return lockedUntil - nowMs
end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
local threshold = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
if attempts >= threshold then
  local lockMs = math.min(tonumber(ARGV[3]) * (2 ^ (attempts - threshold)), windowMs)
  redis.call('HSET', KEYS[1], 'lockedUntil', nowMs + lockMs)
end
redis.call('PEXPIRE', KEYS[1], windowMs)
return 0`;

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
        const [count, resetMs] = (await this.redis.withDeadline(
          client.eval(HIT_SCRIPT, {
            keys: [key],
            arguments: [String(windowMs)],
          }),
        )) as [number, number];
        return { count, resetMs };
      } catch (error) {
        this.fellBack(error);
      }
    }
    const entry = this.memoryEntry(key, windowMs);
    entry.count += 1;
    return { count: entry.count, resetMs: entry.expiresAt - Date.now() };
  }

  /**
   * Counts an attempt for `name` unless it is locked; returns the milliseconds left on the lock
   * (0: go ahead). Call `clearFailures` when the attempt succeeds.
   */
  async reserveAttempt(
    name: string,
    threshold: number,
    windowMs: number,
    baseLockMs: number,
  ): Promise<number> {
    const key = this.redis.key(`fail:${name}`);
    const client = this.redis.client;
    const now = Date.now();
    if (client?.isReady) {
      try {
        return Number(
          await this.redis.withDeadline(
            client.eval(ATTEMPT_SCRIPT, {
              keys: [key],
              arguments: [String(threshold), String(windowMs), String(baseLockMs), String(now)],
            }),
          ),
        );
      } catch (error) {
        this.fellBack(error);
      }
    }
    const entry = this.memoryEntry(key, windowMs);
    if (entry.lockedUntil > now) return entry.lockedUntil - now;
    entry.count += 1;
    entry.expiresAt = now + windowMs;
    if (entry.count >= threshold) {
      entry.lockedUntil = now + Math.min(baseLockMs * 2 ** (entry.count - threshold), windowMs);
    }
    return 0;
  }

  async clearFailures(name: string): Promise<void> {
    const key = this.redis.key(`fail:${name}`);
    this.memory.delete(key);
    const client = this.redis.client;
    if (!client?.isReady) return;
    await this.redis.withDeadline(client.del(key)).catch((error: unknown) => this.fellBack(error));
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
