import type { User } from './user.entity.js';

// The version column is a PostgreSQL integer: a larger number can match no row (and must not
// reach the query, which would fail with "out of range").
const MAX_VERSION = 2_147_483_647;

/** Strong ETag of a user: its version, qualified by its id so two users never share one. */
export function userEtag(user: Pick<User, 'id' | 'version'>): string {
  return `"${user.version}-${user.id}"`;
}

/**
 * The version an `If-Match` header requires of this user: undefined when there is no
 * precondition (absent or `*`), -1 when no listed tag can match (a 412 follows).
 */
export function expectedVersionFrom(
  ifMatch: string | undefined,
  userId: string,
): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined;
  for (const candidate of ifMatch.split(',')) {
    const match = /^"(\d{1,10})-([0-9a-f-]{36})"$/i.exec(candidate.trim());
    if (match && match[2].toLowerCase() === userId && Number(match[1]) <= MAX_VERSION) {
      return Number(match[1]);
    }
  }
  return -1;
}
