import { describe, expect, it } from '@jest/globals';
import { buildEntryKey, hasUndeclaredNames, normalizeParams, normalizeQuery } from './cache-key.js';
import type { DeclaredQuery } from './declared-query.js';

const declared = (names: string[], defaults: Record<string, unknown> = {}): DeclaredQuery => ({
  names: new Set(names),
  defaults,
  refusesUndeclared: true,
});

describe('normalizeQuery', () => {
  const listQuery = declared(['limit', 'role', 'status', 'e mail', 'a', 'b'], { limit: 20 });

  it('sorts parameters so their order does not matter', () => {
    expect(normalizeQuery({ status: 'active', role: 'admin' }, listQuery)).toBe(
      normalizeQuery({ role: 'admin', status: 'active' }, listQuery),
    );
  });

  it('applies defaults, so an explicit default and an absent parameter are the same query', () => {
    expect(normalizeQuery({}, listQuery)).toBe(normalizeQuery({ limit: '20' }, listQuery));
    expect(normalizeQuery({ limit: '50' }, listQuery)).toBe('limit=50');
  });

  it('keeps repeated parameters in order and encodes names and values', () => {
    expect(
      normalizeQuery({ role: ['user', 'admin'], 'e mail': 'a&b=c' }, declared(['role', 'e mail'])),
    ).toBe('e%20mail=a%26b%3Dc&role=user&role=admin');
  });

  it('cannot be confused by a value that looks like another parameter', () => {
    expect(normalizeQuery({ a: 'x&b=y' }, listQuery)).not.toBe(
      normalizeQuery({ a: 'x', b: 'y' }, listQuery),
    );
  });

  it('leaves out every name the route does not declare', () => {
    expect(normalizeQuery({ junk: 'x', limit: '5' }, listQuery)).toBe('limit=5');
    expect(normalizeQuery({ junk: 'x' }, declared([]))).toBe('');
  });
});

describe('hasUndeclaredNames', () => {
  it('tells whether a query carries a name outside the declared ones', () => {
    expect(hasUndeclaredNames({ limit: '5' }, declared(['limit']))).toBe(false);
    expect(hasUndeclaredNames({ limit: '5', junk: '1' }, declared(['limit']))).toBe(true);
  });
});

describe('normalizeParams', () => {
  it('lower-cases UUIDs and leaves other values alone', () => {
    expect(
      normalizeParams({ id: '0B6D7C1E-3F7E-4A55-9A8C-2F1D5C3B9E10', name: 'MixedCase' }),
    ).toEqual({ id: '0b6d7c1e-3f7e-4a55-9a8c-2f1d5c3b9e10', name: 'MixedCase' });
  });
});

describe('buildEntryKey', () => {
  const base = { method: 'GET', route: '/api/v1/users/me', params: {}, query: '' };

  it("differs per user for per-user routes, so no user gets another user's entry", () => {
    expect(buildEntryKey({ ...base, userId: 'a' })).not.toBe(
      buildEntryKey({ ...base, userId: 'b' }),
    );
    expect(buildEntryKey({ ...base, userId: 'a' })).not.toBe(buildEntryKey(base));
  });

  it('differs by route, params and query, and is stable for equal inputs', () => {
    const key = buildEntryKey({ ...base, route: '/api/v1/users/:id', params: { id: '1' } });
    expect(key).toBe(buildEntryKey({ ...base, route: '/api/v1/users/:id', params: { id: '1' } }));
    expect(key).not.toBe(
      buildEntryKey({ ...base, route: '/api/v1/users/:id', params: { id: '2' } }),
    );
    expect(buildEntryKey({ ...base, query: 'limit=20' })).not.toBe(
      buildEntryKey({ ...base, query: 'limit=21' }),
    );
  });

  it('cannot be confused by a parameter value that looks like another parameter', () => {
    expect(buildEntryKey({ ...base, params: { a: 'x&b=y' } })).not.toBe(
      buildEntryKey({ ...base, params: { a: 'x', b: 'y' } }),
    );
  });

  it('is a short, Redis-safe hash whatever the query length', () => {
    expect(buildEntryKey({ ...base, query: 'x'.repeat(10_000) })).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
