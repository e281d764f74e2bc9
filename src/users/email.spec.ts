import { describe, expect, it } from '@jest/globals';
import { hasForbiddenEmailCharacters, normalizeEmail } from './email.js';

describe('normalizeEmail', () => {
  it('trims surrounding whitespace', () => {
    expect(normalizeEmail('  ada@example.com \t\n')).toBe('ada@example.com');
  });

  it('lower-cases the whole address', () => {
    expect(normalizeEmail('Ada.Lovelace@Example.COM')).toBe('ada.lovelace@example.com');
  });

  it('folds full-width and other compatibility characters with NFKC', () => {
    expect(normalizeEmail('ＡＢＣ@example.com')).toBe('abc@example.com');
    expect(normalizeEmail('ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ')).toBe('ada@example.com');
    expect(normalizeEmail('ﬁle@example.com')).toBe('file@example.com');
  });

  it('composes decomposed characters so both spellings give one address', () => {
    expect(normalizeEmail('jose\u0301@example.com')).toBe(normalizeEmail('jos\u00e9@example.com'));
    expect(normalizeEmail('JOSE\u0301@example.com')).toBe('jos\u00e9@example.com');
  });

  it('keeps non-ASCII local parts apart from lower-casing them', () => {
    expect(normalizeEmail('Müller@Beispiel.de')).toBe('müller@beispiel.de');
    expect(normalizeEmail('用户@例子.广告')).toBe('用户@例子.广告');
  });

  it('is idempotent', () => {
    const once = normalizeEmail('  ＡＢＣ.Def@Example.com ');
    expect(normalizeEmail(once)).toBe(once);
  });
});

describe('hasForbiddenEmailCharacters', () => {
  it.each([
    ['a zero-width space', 'ad\u200ba@example.com'],
    ['a zero-width non-joiner', 'ad\u200ca@example.com'],
    ['a zero-width joiner', 'ad\u200da@example.com'],
    ['a word joiner', 'ad\u2060a@example.com'],
    ['a byte order mark', '\ufeffada@example.com'],
    ['a right-to-left override', 'ada\u202e@example.com'],
    ['a left-to-right override', 'ada\u202d@example.com'],
    ['a left-to-right mark', 'ada\u200e@example.com'],
    ['an Arabic letter mark', 'ada\u061c@example.com'],
    ['a right-to-left isolate', 'ada\u2067@example.com'],
    ['a soft hyphen', 'ad\u00ada@example.com'],
    ['a variation selector', 'ada\ufe0f@example.com'],
    ['a combining grapheme joiner', 'ada\u034f@example.com'],
    ['a Hangul filler', 'ada\u3164@example.com'],
    ['a NUL', 'ada\u0000@example.com'],
    ['a newline', 'ada\n@example.com'],
    ['a tab', 'ada\t@example.com'],
    ['an escape', 'ada\u001b@example.com'],
    ['a DEL', 'ada\u007f@example.com'],
    ['a C1 control', 'ada\u0085@example.com'],
  ])('is true for %s', (_label, value) => {
    expect(hasForbiddenEmailCharacters(value)).toBe(true);
  });

  it.each([
    ['an ordinary address', 'ada.lovelace+tag@example.com'],
    ['an address with digits, dashes and underscores', 'a_d-a.1815@sub.example.co.uk'],
    ['an accented local part', 'müller@beispiel.de'],
    ['a Chinese IDN address', '用户@例子.广告'],
    ['a Cyrillic address', 'пользователь@пример.рф'],
    ['a Devanagari local part', 'उपयोगकर्ता@example.com'],
    ['an empty string', ''],
  ])('is false for %s', (_label, value) => {
    expect(hasForbiddenEmailCharacters(value)).toBe(false);
  });
});
