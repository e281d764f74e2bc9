import { describe, expect, it } from '@jest/globals';
import {
  clearedRefreshCookie,
  isAllowedCookieOrigin,
  readRefreshCookie,
  refreshCookie,
} from './refresh-cookie.js';

const TOKEN = 'q3J4X0e2c2lWb2Q1cGZ3dW5mR3ZrS3l6bFJ0d0xqUm9';
const ALLOWED = ['https://app.example.com', 'http://localhost:5173/'];

describe('refresh cookie', () => {
  it('is HttpOnly, Secure, SameSite=Strict, scoped to the auth routes, for the given seconds', () => {
    expect(refreshCookie(TOKEN, 2_592_000)).toBe(
      `refresh_token=${TOKEN}; Max-Age=2592000; HttpOnly; Secure; SameSite=Strict; Path=/api/v1/auth`,
    );
  });

  it('is deleted with an empty value, Max-Age=0 and the same attributes', () => {
    expect(clearedRefreshCookie()).toBe(
      'refresh_token=; Max-Age=0; HttpOnly; Secure; SameSite=Strict; Path=/api/v1/auth',
    );
  });

  it.each([
    ['the only cookie', `refresh_token=${TOKEN}`, TOKEN],
    ['among others', `theme=dark; refresh_token=${TOKEN}; lang=en`, TOKEN],
    ['quoted', `refresh_token="${TOKEN}"`, TOKEN],
    ['absent', 'theme=dark; xrefresh_token=abc', undefined],
    ['empty', 'refresh_token=; theme=dark', undefined],
    ['no header', undefined, undefined],
  ])('reads the cookie %s', (_case, header, expected) => {
    expect(readRefreshCookie(header)).toBe(expected);
  });

  it.each([
    ['an allowed Origin', { origin: 'https://app.example.com' }, true],
    ['an allowed Origin listed with a trailing slash', { origin: 'http://localhost:5173' }, true],
    ['an allowed Origin in another case', { origin: 'https://APP.example.com' }, true],
    ['a foreign Origin', { origin: 'https://evil.example.com' }, false],
    ['a sibling port', { origin: 'https://app.example.com:8443' }, false],
    ['Origin: null', { origin: 'null' }, false],
    ['no Origin, Sec-Fetch-Site same-origin', { 'sec-fetch-site': 'same-origin' }, true],
    ['no Origin, Sec-Fetch-Site same-site', { 'sec-fetch-site': 'same-site' }, false],
    ['no Origin and no Sec-Fetch-Site', {}, false],
    [
      'a foreign Origin claiming same-origin',
      { origin: 'https://evil.example.com', 'sec-fetch-site': 'same-origin' },
      false,
    ],
  ])('decides a cookie request with %s', (_case, headers, expected) => {
    expect(isAllowedCookieOrigin(headers, ALLOWED)).toBe(expected);
  });
});
