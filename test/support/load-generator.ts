import { performance } from 'node:perf_hooks';
import { buildUser } from '../factories/user.factory.js';

export type Operation = 'login' | 'me' | 'patch' | 'refresh';

/** One request as the client saw it; times are `performance.now()` milliseconds. */
export interface Outcome {
  operation: Operation;
  /** The HTTP status, or 0 when no response came (connection refused, reset, timeout). */
  status: number;
  isOk: boolean;
  startedAt: number;
  endedAt: number;
  /** The replica HAProxy sent it to (its `X-Served-By`). */
  servedBy: string | undefined;
  error?: string;
}

export interface LoadSummary {
  requests: number;
  failed: number;
  byOperation: Record<Operation, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

interface Reply {
  status: number;
  body: Record<string, unknown> | undefined;
  etag: string | null;
}

const EXPECTED_STATUS: Record<Operation, number> = {
  login: 200,
  me: 200,
  patch: 200,
  refresh: 200,
};

const versionOf = (etag: string | null): number => Number(/^"(\d+)-/.exec(etag ?? '')?.[1] ?? NaN);

/** A signed-in account the generator drives, with what the client knows it last wrote. */
export class LoadUser {
  tokens: TokenPair;
  etag: string | null = null;
  /** The display name of the last acknowledged PATCH and the version it produced (first: a read). */
  acknowledged: { displayName: string | null; version: number } | undefined;
  /** A PATCH whose answer was lost: the name is either the acknowledged one or this one. */
  unconfirmedName: string | undefined;
  writes = 0;

  constructor(
    readonly id: string,
    readonly email: string,
    readonly password: string,
    tokens: TokenPair,
  ) {
    this.tokens = tokens;
  }
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

/**
 * A steady mix of sign-ins, reads and conditional writes of the profile, and refreshes, one loop
 * per user with keep-alive connections (Node's fetch). Every request is recorded; every read is
 * checked against the last write acknowledged to that user (read-your-writes across replicas).
 */
export class LoadGenerator {
  readonly outcomes: Outcome[] = [];
  /** Reads that missed an acknowledged write, or answers that contradict the request. */
  readonly violations: string[] = [];
  inFlight = 0;
  private isRunning = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly users: LoadUser[],
    private readonly pauseMs = 20,
  ) {}

  /** Registers and signs in `count` users through `baseUrl`. */
  static async createUsers(baseUrl: string, count: number): Promise<LoadUser[]> {
    return Promise.all(
      Array.from({ length: count }, async () => {
        const input = buildUser();
        const registered = await fetch(`${baseUrl}/api/v1/auth/register`, json('POST', input));
        if (registered.status !== 201) throw new Error(`register: ${registered.status}`);
        const { id } = (await registered.json()) as { id: string };
        const signedIn = await fetch(
          `${baseUrl}/api/v1/auth/login`,
          json('POST', { email: input.email, password: input.password }),
        );
        if (signedIn.status !== 200) throw new Error(`login: ${signedIn.status}`);
        return new LoadUser(id, input.email, input.password, (await signedIn.json()) as TokenPair);
      }),
    );
  }

  start(): void {
    this.isRunning = true;
    this.loops = this.users.map((user) => this.run(user));
  }

  async stop(): Promise<void> {
    this.isRunning = false;
    await Promise.all(this.loops);
  }

  failures(): Outcome[] {
    return this.outcomes.filter((outcome) => !outcome.isOk);
  }

  /** Requests started in [from, to]. */
  summary(from = -Infinity, to = Infinity): LoadSummary {
    const within = this.outcomes.filter((o) => o.startedAt >= from && o.startedAt <= to);
    const latencies = within.map((o) => o.endedAt - o.startedAt).sort((a, b) => a - b);
    const byOperation = { login: 0, me: 0, patch: 0, refresh: 0 };
    for (const outcome of within) byOperation[outcome.operation] += 1;
    return {
      requests: within.length,
      failed: within.filter((o) => !o.isOk).length,
      byOperation,
      p50Ms: Math.round(percentile(latencies, 0.5)),
      p99Ms: Math.round(percentile(latencies, 0.99)),
      maxMs: Math.round(latencies.at(-1) ?? 0),
    };
  }

  private async run(user: LoadUser): Promise<void> {
    while (this.isRunning) {
      const roll = Math.random();
      if (roll < 0.05) await this.login(user);
      else if (roll < 0.25) await this.refresh(user);
      else if (roll < 0.45) await this.patch(user);
      else await this.me(user);
      await new Promise((resolve) => setTimeout(resolve, this.pauseMs));
    }
  }

  private async login(user: LoadUser): Promise<boolean> {
    const reply = await this.send(
      'login',
      '/api/v1/auth/login',
      json('POST', { email: user.email, password: user.password }),
    );
    if (reply.status === 200) user.tokens = reply.body as unknown as TokenPair;
    return reply.status === 200;
  }

  private async refresh(user: LoadUser): Promise<void> {
    const reply = await this.send(
      'refresh',
      '/api/v1/auth/refresh',
      json('POST', { refreshToken: user.tokens.refreshToken }),
    );
    if (reply.status === 200) user.tokens = reply.body as unknown as TokenPair;
    // The old token may or may not have been rotated: start a new session, as a client would.
    else await this.login(user);
  }

  private async me(user: LoadUser): Promise<void> {
    const reply = await this.send('me', '/api/v1/users/me', this.authorized(user, 'GET'));
    if (reply.status !== 200) return;
    const displayName = reply.body?.displayName as string | null;
    const version = versionOf(reply.etag);
    const expected = user.acknowledged;
    if (
      expected === undefined ||
      (user.unconfirmedName !== undefined && displayName === user.unconfirmedName)
    ) {
      user.acknowledged = { displayName, version };
    } else if (displayName !== expected.displayName || !(version >= expected.version)) {
      this.violations.push(
        `${user.email}: read ${JSON.stringify(displayName)} v${version} after the acknowledged ${JSON.stringify(expected.displayName)} v${expected.version}`,
      );
    }
    user.unconfirmedName = undefined;
    user.etag = reply.etag;
  }

  private async patch(user: LoadUser): Promise<void> {
    if (
      user.etag === null ||
      user.acknowledged === undefined ||
      user.unconfirmedName !== undefined
    ) {
      return this.me(user);
    }
    user.writes += 1;
    const displayName = `load ${user.writes}`;
    const request = this.authorized(user, 'PATCH', { displayName });
    request.headers = { ...request.headers, 'if-match': user.etag };
    const reply = await this.send('patch', '/api/v1/users/me', request);
    if (reply.status === 200) {
      const version = versionOf(reply.etag);
      if (reply.body?.displayName !== displayName || !(version > user.acknowledged.version)) {
        this.violations.push(`${user.email}: PATCH answered ${JSON.stringify(reply.body)}`);
      }
      user.acknowledged = { displayName, version };
      user.etag = reply.etag;
    } else {
      // Carried out or not, the client cannot tell: the next read settles it.
      user.unconfirmedName = displayName;
      user.etag = null;
    }
  }

  private authorized(user: LoadUser, method: string, body?: object): JsonRequest {
    const request: JsonRequest = body === undefined ? { method, headers: {} } : json(method, body);
    return {
      ...request,
      headers: { ...request.headers, authorization: `Bearer ${user.tokens.accessToken}` },
    };
  }

  private async send(operation: Operation, pathname: string, request: RequestInit): Promise<Reply> {
    const startedAt = performance.now();
    this.inFlight += 1;
    let outcome: Outcome;
    let reply: Reply = { status: 0, body: undefined, etag: null };
    try {
      const response = await fetch(`${this.baseUrl}${pathname}`, {
        ...request,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      reply = {
        status: response.status,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
        etag: response.headers.get('etag'),
      };
      outcome = {
        operation,
        status: response.status,
        isOk: response.status === EXPECTED_STATUS[operation],
        startedAt,
        endedAt: performance.now(),
        servedBy: response.headers.get('x-served-by') ?? undefined,
        ...(response.status === EXPECTED_STATUS[operation] ? {} : { error: text.slice(0, 300) }),
      };
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      outcome = {
        operation,
        status: 0,
        isOk: false,
        startedAt,
        endedAt: performance.now(),
        servedBy: undefined,
        error: `${String(error)} ${cause?.code ?? cause?.message ?? ''}`.trim(),
      };
    } finally {
      this.inFlight -= 1;
    }
    this.outcomes.push(outcome);
    return reply;
  }
}

type JsonRequest = Omit<RequestInit, 'headers'> & { headers: Record<string, string> };

function json(method: string, body: object): JsonRequest {
  return {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}
