import { Injectable, Logger } from '@nestjs/common';
import type { RedisKeys } from '../redis/redis-keys.js';
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

// Attempts count as failures until they succeed (then the pair is cleared and the account
// counter given the attempt back), and are counted before the password is checked: parallel
// guesses cannot all slip in before the first failure is recorded. KEYS[1] is the (account,
// address) pair: from its threshold on it is locked for a time that doubles per attempt. KEYS[2]
// counts the account's failures from every address: from its threshold on, only an address whose
// pair has no failures may try, so an attacker cannot lock the owner out but cannot go on either.
const ATTEMPT_SCRIPT = `
local pairThreshold = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local nowMs = tonumber(ARGV[4])
local lockedUntil = tonumber(redis.call('HGET', KEYS[1], 'lockedUntil') or '0')
if lockedUntil > nowMs then
  return lockedUntil - nowMs
end
local accountFailures = tonumber(redis.call('GET', KEYS[2]) or '0')
if accountFailures >= tonumber(ARGV[5]) and redis.call('HEXISTS', KEYS[1], 'attempts') == 1 then
  return math.max(redis.call('PTTL', KEYS[2]), 1)
end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if attempts >= pairThreshold then
  local lockMs = math.min(tonumber(ARGV[3]) * (2 ^ (attempts - pairThreshold)), windowMs)
  redis.call('HSET', KEYS[1], 'lockedUntil', nowMs + lockMs)
end
redis.call('PEXPIRE', KEYS[1], windowMs)
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], windowMs)
return 0`;

const SUCCEEDED_SCRIPT = `
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then
  redis.call('DECR', KEYS[2])
end
return 0`;

/**
 * The keys of one attempt's counters. A script reads both, so in a cluster they share the
 * account's hash slot (spreading accounts over the slots).
 */
export function attemptKeys(
  keys: RedisKeys,
  counters: AttemptCounters,
): { pairKey: string; accountKey: string } {
  return {
    pairKey: keys.key(`fail:pair:${counters.pair}`, counters.account),
    accountKey: keys.key(`fail:account:${counters.account}`, counters.account),
  };
}

/** The two counters of one password attempt; names carry no personal data. */
export interface AttemptCounters {
  /** The (account, client address) pair. */
  pair: string;
  /** The account, across every address. */
  account: string;
}

export interface AttemptLimits {
  /** Failures of one pair from which it is locked. */
  pairThreshold: number;
  /** Failures of the account from which only addresses with a clean pair may try. */
  accountThreshold: number;
  /** Counters are forgotten this long after their last failure; the longest lock. */
  windowMs: number;
  baseLockMs: number;
}

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
    if (client && this.redis.isReady) {
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
   * Counts an attempt against both counters unless it is refused; returns the milliseconds to wait
   * (0: go ahead). Call `attemptSucceeded` when the password was right.
   */
  async reserveAttempt(counters: AttemptCounters, limits: AttemptLimits): Promise<number> {
    const { pairKey, accountKey } = attemptKeys(this.redis.keys, counters);
    const client = this.redis.client;
    const now = Date.now();
    if (client && this.redis.isReady) {
      try {
        return Number(
          await this.redis.withDeadline(
            client.eval(ATTEMPT_SCRIPT, {
              keys: [pairKey, accountKey],
              arguments: [
                String(limits.pairThreshold),
                String(limits.windowMs),
                String(limits.baseLockMs),
                String(now),
                String(limits.accountThreshold),
              ],
            }),
          ),
        );
      } catch (error) {
        this.fellBack(error);
      }
    }
    const pair = this.memoryEntry(pairKey, limits.windowMs);
    if (pair.lockedUntil > now) return pair.lockedUntil - now;
    const account = this.memoryEntry(accountKey, limits.windowMs);
    if (account.count >= limits.accountThreshold && pair.count > 0) {
      return Math.max(account.expiresAt - now, 1);
    }
    pair.count += 1;
    pair.expiresAt = now + limits.windowMs;
    if (pair.count >= limits.pairThreshold) {
      pair.lockedUntil =
        now +
        Math.min(limits.baseLockMs * 2 ** (pair.count - limits.pairThreshold), limits.windowMs);
    }
    account.count += 1;
    account.expiresAt = now + limits.windowMs;
    return 0;
  }

  /** The attempt was right: the pair's failures are forgiven and the account's count returned. */
  async attemptSucceeded(counters: AttemptCounters): Promise<void> {
    const { pairKey, accountKey } = attemptKeys(this.redis.keys, counters);
    this.memory.delete(pairKey);
    const account = this.memory.get(accountKey);
    if (account && account.count > 0) account.count -= 1;
    const client = this.redis.client;
    if (!client || !this.redis.isReady) return;
    await this.redis
      .withDeadline(client.eval(SUCCEEDED_SCRIPT, { keys: [pairKey, accountKey] }))
      .catch((error: unknown) => this.fellBack(error));
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
