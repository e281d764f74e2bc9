import { describe, expect, it } from '@jest/globals';
import {
  generateRefreshToken,
  hashRefreshToken,
  looksLikeRefreshToken,
  openWithToken,
  sealWithToken,
} from './refresh-token.js';

describe('generateRefreshToken', () => {
  it('makes 43 base64url characters (256 bits)', () => {
    const token = generateRefreshToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(looksLikeRefreshToken(token)).toBe(true);
  });

  it('never repeats a token', () => {
    const tokens = new Set(Array.from({ length: 1_000 }, () => generateRefreshToken()));
    expect(tokens.size).toBe(1_000);
  });
});

describe('looksLikeRefreshToken', () => {
  it.each([
    ['too short', 'a'.repeat(42)],
    ['too long', 'a'.repeat(44)],
    ['not base64url', `${'a'.repeat(42)}+`],
    ['a JWT', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'],
  ])('refuses a value that is %s', (_case, value) => {
    expect(looksLikeRefreshToken(value)).toBe(false);
  });
});

describe('hashRefreshToken', () => {
  it('gives the same hash for the same token', () => {
    const token = generateRefreshToken();
    expect(hashRefreshToken(token)).toBe(hashRefreshToken(token));
  });

  it('gives different hashes for different tokens, never the token itself', () => {
    const first = generateRefreshToken();
    const second = generateRefreshToken();
    expect(hashRefreshToken(first)).not.toBe(hashRefreshToken(second));
    expect(hashRefreshToken(first)).not.toBe(first);
  });

  it('is the SHA-256 of the token in base64url', () => {
    expect(hashRefreshToken('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });
});

describe('sealWithToken / openWithToken', () => {
  const plaintext = JSON.stringify({ accessToken: 'header.payload.signature', note: 'héllo ✓' });

  it('opens what it sealed with the same token', () => {
    const token = generateRefreshToken();
    expect(openWithToken(token, sealWithToken(token, plaintext))).toBe(plaintext);
  });

  it('never shows the plaintext in the sealed bytes and seals twice differently', () => {
    const token = generateRefreshToken();
    const first = sealWithToken(token, plaintext);
    const second = sealWithToken(token, plaintext);
    expect(first.toString('utf8')).not.toContain('accessToken');
    expect(first.equals(second)).toBe(false);
  });

  it('refuses to open with another token', () => {
    const sealed = sealWithToken(generateRefreshToken(), plaintext);
    expect(() => openWithToken(generateRefreshToken(), sealed)).toThrow();
  });

  it.each([
    ['the IV', 0],
    ['the authentication tag', 12],
    ['the ciphertext', 28],
  ])('refuses sealed bytes with %s tampered', (_part, offset) => {
    const token = generateRefreshToken();
    const sealed = sealWithToken(token, plaintext);
    sealed[offset] ^= 0x01;
    expect(() => openWithToken(token, sealed)).toThrow();
  });

  it('refuses truncated sealed bytes', () => {
    const token = generateRefreshToken();
    const sealed = sealWithToken(token, plaintext);
    expect(() => openWithToken(token, sealed.subarray(0, sealed.length - 1))).toThrow();
  });
});
