/** Opaque keyset cursor over (created_at, id), newest first. */
export interface AuthEventsPageCursor {
  createdAt: Date;
  /** The bigserial id, as a decimal string. */
  id: string;
}

// A positive PostgreSQL bigint: anything else would be a database error, not a 400.
const BIGINT_ID = /^[1-9]\d{0,18}$/;
const BIGINT_MAX = 9_223_372_036_854_775_807n;

export function encodeCursor(cursor: AuthEventsPageCursor): string {
  return Buffer.from(JSON.stringify({ c: cursor.createdAt.toISOString(), i: cursor.id })).toString(
    'base64url',
  );
}

/** The cursor, or undefined when it was not produced by `encodeCursor`. */
export function decodeCursor(value: string): AuthEventsPageCursor | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { c, i } = parsed as { c?: unknown; i?: unknown };
    if (typeof c !== 'string' || typeof i !== 'string' || !BIGINT_ID.test(i)) return undefined;
    if (BigInt(i) > BIGINT_MAX) return undefined;
    const createdAt = new Date(c);
    // A valid JavaScript date can still be one PostgreSQL refuses (year 10000, or BC).
    const year = createdAt.getUTCFullYear();
    return Number.isNaN(year) || year < 1970 || year > 9999 ? undefined : { createdAt, id: i };
  } catch {
    return undefined;
  }
}
