import { isUuid } from '../common/validation/uuid.js';

/** Opaque keyset cursor over (created_at, id), newest first. */
export interface UsersPageCursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(cursor: UsersPageCursor): string {
  return Buffer.from(JSON.stringify({ c: cursor.createdAt.toISOString(), i: cursor.id })).toString(
    'base64url',
  );
}

/** The cursor, or undefined when it was not produced by `encodeCursor`. */
export function decodeCursor(value: string): UsersPageCursor | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { c, i } = parsed as { c?: unknown; i?: unknown };
    if (typeof c !== 'string' || typeof i !== 'string' || !isUuid(i)) return undefined;
    const createdAt = new Date(c);
    // A valid JavaScript date can still be one PostgreSQL refuses (year 10000, or BC).
    const year = createdAt.getUTCFullYear();
    return Number.isNaN(year) || year < 1970 || year > 9999 ? undefined : { createdAt, id: i };
  } catch {
    return undefined;
  }
}
