import { describe, expect, it } from '@jest/globals';
import {
  isCommonPassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  passwordPolicyViolation,
} from './password-policy.js';

describe('isCommonPassword', () => {
  it.each(['password', 'qwerty123456', 'iloveyou', 'sunshine', 'football', 'baseball'])(
    'rejects the common password %p',
    (password) => {
      expect(isCommonPassword(password)).toBe(true);
    },
  );

  it.each(['PASSWORD', 'Password', 'SunShine'])('rejects %p whatever its case', (password) => {
    expect(isCommonPassword(password)).toBe(true);
  });

  it.each([
    'password1234',
    'Password1234',
    'password1234!',
    'sunshine2024',
    'football#2024',
    'monkey!!!!!!',
  ])('rejects the common password with appended digits or symbols %p', (password) => {
    expect(isCommonPassword(password)).toBe(true);
  });

  it.each(['aaaaaaaaaaaa', 'zzzzzzzzzzzzzzzz', '111111111111', '😀😀😀😀😀😀😀😀😀😀😀😀'])(
    'rejects the repeated single character %p',
    (password) => {
      expect(isCommonPassword(password)).toBe(true);
    },
  );

  it.each([
    'correct horse battery staple',
    'Tr0ub4dor-and-x1y2-staple',
    'vX7#mQ2!pL9@wR4z',
    'aaaaaaaaaaab',
    'passwordless-quokka-sunrise',
  ])('accepts the strong password %p', (password) => {
    expect(isCommonPassword(password)).toBe(false);
  });

  it('does not strip a suffix that would leave almost nothing', () => {
    expect(isCommonPassword('zq9!8273645501')).toBe(false);
  });
});

describe('password length bounds', () => {
  it('allows 12 to 128 characters', () => {
    expect([PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH]).toEqual([12, 128]);
  });
});

describe('passwordPolicyViolation', () => {
  it('allows a strong password of 12 and of 128 characters', () => {
    expect(passwordPolicyViolation('zq9!8273645X')).toBeUndefined();
    expect(passwordPolicyViolation(`zq9!${'8273645X'.repeat(15)}abcd`)).toBeUndefined();
  });

  it.each([
    ['11 characters', 'zq9!8273645', 'password must be at least 12 characters long'],
    [
      '129 characters',
      `zq9!${'8273645X'.repeat(15)}abcde`,
      'password must be at most 128 characters long',
    ],
    [
      'a common password',
      'password1234',
      'password is one of the most common passwords; choose another',
    ],
  ])('refuses %s with a message naming the subject', (_case, password, message) => {
    expect(passwordPolicyViolation(password)).toBe(message);
  });

  it('names the subject it is given', () => {
    expect(passwordPolicyViolation('short', 'ADMIN_PASSWORD')).toBe(
      'ADMIN_PASSWORD must be at least 12 characters long',
    );
  });

  it('counts a surrogate pair as one character, as the request validation does', () => {
    expect(passwordPolicyViolation(`${'\u{1F600}'.repeat(11)}x`)).toBeUndefined();
    expect(passwordPolicyViolation('\u{1F600}'.repeat(11))).toMatch(/at least 12/);
  });
});
