import { describe, expect, it } from '@jest/globals';
import { decodeCursor, encodeCursor } from './users-page.cursor.js';

const id = '5f0c6c2e-8f61-4c2b-9d0e-0f4b7b1f8a11';
const encodeJson = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

describe('users page cursor', () => {
  it('decodes what it encoded, to the millisecond', () => {
    const cursor = { createdAt: new Date('2026-03-01T12:34:56.789Z'), id };
    const decoded = decodeCursor(encodeCursor(cursor));
    expect(decoded).toEqual(cursor);
    expect(decoded?.createdAt.getTime()).toBe(cursor.createdAt.getTime());
  });

  it('encodes to URL-safe characters only', () => {
    const encoded = encodeCursor({ createdAt: new Date('2026-12-31T23:59:59.999Z'), id });
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['an empty string', ''],
    ['garbage', 'abc'],
    ['base64 of text that is not JSON', Buffer.from('hello').toString('base64url')],
    ['an empty object', encodeJson({})],
    ['null', encodeJson(null)],
    ['a number', encodeJson(42)],
    ['a string', encodeJson('cursor')],
    ['an array', encodeJson([new Date().toISOString(), id])],
    ['a missing id', encodeJson({ c: '2026-03-01T12:34:56.789Z' })],
    ['a missing date', encodeJson({ i: id })],
    ['a numeric date', encodeJson({ c: 1767225600000, i: id })],
    ['a malformed uuid', encodeJson({ c: '2026-03-01T12:34:56.789Z', i: 'not-a-uuid' })],
    [
      'an id with SQL in it',
      encodeJson({ c: '2026-03-01T12:34:56.789Z', i: `${id}'; DROP TABLE users; --` }),
    ],
    ['an unparseable date', encodeJson({ c: 'yesterday-ish', i: id })],
    ['an impossible date', encodeJson({ c: '2026-13-45T99:00:00Z', i: id })],
    // Valid JavaScript dates that PostgreSQL refuses as out of range.
    ['a date before the common era', encodeJson({ c: '-010000-01-01T00:00:00Z', i: id })],
    ['a date past year 9999', encodeJson({ c: '+275760-09-13T00:00:00Z', i: id })],
  ])('is undefined for %s', (_label, value) => {
    expect(decodeCursor(value)).toBeUndefined();
  });
});
