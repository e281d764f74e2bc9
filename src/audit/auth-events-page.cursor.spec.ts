import { describe, expect, it } from '@jest/globals';
import { decodeCursor, encodeCursor } from './auth-events-page.cursor.js';

const at = '2026-03-01T12:34:56.789Z';
const encodeJson = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

describe('auth events page cursor', () => {
  it('decodes what it encoded, to the millisecond', () => {
    const cursor = { createdAt: new Date(at), id: '12345' };
    const decoded = decodeCursor(encodeCursor(cursor));
    expect(decoded).toEqual(cursor);
    expect(decoded?.createdAt.getTime()).toBe(cursor.createdAt.getTime());
  });

  it('keeps the largest bigint id exact', () => {
    const cursor = { createdAt: new Date(at), id: '9223372036854775807' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it('encodes to URL-safe characters only', () => {
    const encoded = encodeCursor({ createdAt: new Date('2026-12-31T23:59:59.999Z'), id: '1' });
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['an empty string', ''],
    ['garbage', 'abc'],
    ['base64 of text that is not JSON', Buffer.from('hello').toString('base64url')],
    ['an empty object', encodeJson({})],
    ['null', encodeJson(null)],
    ['an array', encodeJson([at, '1'])],
    ['a missing id', encodeJson({ c: at })],
    ['a missing date', encodeJson({ i: '1' })],
    ['a numeric id', encodeJson({ c: at, i: 1 })],
    ['a zero id', encodeJson({ c: at, i: '0' })],
    ['a negative id', encodeJson({ c: at, i: '-1' })],
    ['an id with a leading zero', encodeJson({ c: at, i: '012' })],
    ['a fractional id', encodeJson({ c: at, i: '1.5' })],
    ['an id past the bigint range', encodeJson({ c: at, i: '9223372036854775808' })],
    ['an id with SQL in it', encodeJson({ c: at, i: "1'; DROP TABLE auth_events; --" })],
    ['a uuid id', encodeJson({ c: at, i: '5f0c6c2e-8f61-4c2b-9d0e-0f4b7b1f8a11' })],
    ['an unparseable date', encodeJson({ c: 'yesterday-ish', i: '1' })],
    ['a date before the common era', encodeJson({ c: '-010000-01-01T00:00:00Z', i: '1' })],
    ['a date past year 9999', encodeJson({ c: '+275760-09-13T00:00:00Z', i: '1' })],
  ])('is undefined for %s', (_label, value) => {
    expect(decodeCursor(value)).toBeUndefined();
  });
});
