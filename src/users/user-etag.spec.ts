import { describe, expect, it } from '@jest/globals';
import { expectedVersionFrom, userEtag } from './user-etag.js';

const id = '5f0c6c2e-8f61-4c2b-9d0e-0f4b7b1f8a11';
const otherId = '0b6d7c1e-3f7e-4a55-9a8c-2f1d5c3b9e10';

describe('userEtag', () => {
  it('is a strong tag of the version and the id', () => {
    expect(userEtag({ id, version: 7 })).toBe(`"7-${id}"`);
  });

  it('differs between two users at the same version', () => {
    expect(userEtag({ id, version: 1 })).not.toBe(userEtag({ id: otherId, version: 1 }));
  });

  it('changes with the version', () => {
    expect(userEtag({ id, version: 1 })).not.toBe(userEtag({ id, version: 2 }));
  });
});

describe('expectedVersionFrom', () => {
  it('sets no precondition without an If-Match header', () => {
    expect(expectedVersionFrom(undefined, id)).toBeUndefined();
  });

  it.each(['*', ' * '])('sets no precondition for the wildcard %p', (header) => {
    expect(expectedVersionFrom(header, id)).toBeUndefined();
  });

  it('requires the version of a tag produced by userEtag', () => {
    expect(expectedVersionFrom(userEtag({ id, version: 12 }), id)).toBe(12);
  });

  it('accepts the tag with an upper-case id', () => {
    expect(expectedVersionFrom(`"3-${id.toUpperCase()}"`, id)).toBe(3);
  });

  it('finds the matching tag within a comma-separated list', () => {
    expect(expectedVersionFrom(`"1-${otherId}", "4-${id}" ,"9-${otherId}"`, id)).toBe(4);
  });

  it.each([
    ['a weak tag', `W/"2-${id}"`],
    ["another user's tag", `"2-${otherId}"`],
    ['an unquoted tag', `2-${id}`],
    ['a tag without the id', '"2"'],
    ['a negative version', `"-2-${id}"`],
    ['a version too long to be one', `"12345678901-${id}"`],
    ['a version beyond the integer column', `"2147483648-${id}"`],
    ['the largest ten-digit version', `"9999999999-${id}"`],
    ['garbage', 'not an etag'],
    ['an empty header', ''],
    ['a wildcard inside a list', `*, "x-${id}"`],
  ])('never matches %s (-1, a 412 follows)', (_label, header) => {
    expect(expectedVersionFrom(header, id)).toBe(-1);
  });
});
