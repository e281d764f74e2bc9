import type { User } from './user.entity.js';

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
    if (match && match[2].toLowerCase() === userId) return Number(match[1]);
  }
  return -1;
}
