import { describe, expect, it } from '@jest/globals';
import { buildEntryKey, normalizeQuery } from './cache-key.js';

describe('normalizeQuery', () => {
  it('sorts parameters so their order does not matter', () => {
    expect(normalizeQuery({ status: 'active', role: 'admin' })).toBe(
      normalizeQuery({ role: 'admin', status: 'active' }),
    );
  });

  it('applies defaults, so an explicit default and an absent parameter are the same query', () => {
    expect(normalizeQuery({}, { limit: 20 })).toBe(normalizeQuery({ limit: '20' }, { limit: 20 }));
    expect(normalizeQuery({ limit: '50' }, { limit: 20 })).toBe('limit=50');
  });

  it('keeps repeated parameters in order and encodes names and values', () => {
    expect(normalizeQuery({ role: ['user', 'admin'], 'e mail': 'a&b=c' })).toBe(
      'e%20mail=a%26b%3Dc&role=user&role=admin',
    );
  });

  it('cannot be confused by a value that looks like another parameter', () => {
    expect(normalizeQuery({ a: 'x&b=y' })).not.toBe(normalizeQuery({ a: 'x', b: 'y' }));
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

  it('is a short, Redis-safe hash whatever the query length', () => {
    expect(buildEntryKey({ ...base, query: 'x'.repeat(10_000) })).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
