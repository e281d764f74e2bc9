import { beforeAll, describe, expect, it } from '@jest/globals';
import { hash as argon2Hash } from '@node-rs/argon2';
import { ARGON2_MINIMUM } from '../../config/app-config.js';
import { PasswordHasher } from './password-hasher.js';

// `Algorithm` of @node-rs/argon2 is an ambient const enum, unusable with isolatedModules.
const ARGON2I = 1;
const ARGON2ID = 2;

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(ARGON2_MINIMUM);
  const password = 'correct horse battery staple';
  let hash: string;

  beforeAll(async () => {
    await hasher.onModuleInit();
    hash = await hasher.hash(password);
  });

  it('hashes with argon2id at m=19456, t=2, p=1', () => {
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(hash).not.toContain(password);
  });

  it('salts every hash', async () => {
    expect(await hasher.hash(password)).not.toBe(hash);
  });

  it('verifies the right password', async () => {
    expect(await hasher.verify(hash, password)).toBe(true);
  });

  it.each([
    ['a wrong password', 'correct horse battery stapler'],
    ['the password in another case', 'Correct horse battery staple'],
    ['a prefix of the password', 'correct horse battery stapl'],
    ['an empty password', ''],
  ])('refuses %s', async (_case, attempt) => {
    expect(await hasher.verify(hash, attempt)).toBe(false);
  });

  it('answers false, not an error, for a hash it cannot read', async () => {
    expect(await hasher.verify('not-a-hash', password)).toBe(false);
    expect(await hasher.verify('', password)).toBe(false);
  });

  it('answers false from verifyNothing whatever the password', async () => {
    expect(await hasher.verifyNothing(password)).toBe(false);
    expect(await hasher.verifyNothing('not a real password: equalizes login timing')).toBe(false);
  });

  it('does not ask to rehash its own hashes', () => {
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  it.each([
    ['less memory', { memoryCost: 4_096, timeCost: 2, parallelism: 1 }],
    ['fewer iterations', { memoryCost: 19_456, timeCost: 1, parallelism: 1 }],
  ])('asks to rehash an argon2id hash made with %s', async (_case, options) => {
    const weaker = await argon2Hash(password, { algorithm: ARGON2ID, ...options });
    expect(hasher.needsRehash(weaker)).toBe(true);
    expect(await hasher.verify(weaker, password)).toBe(true);
  });

  it('asks to rehash an argon2i hash', async () => {
    const other = await argon2Hash(password, {
      algorithm: ARGON2I,
      memoryCost: 19_456,
      timeCost: 2,
      parallelism: 1,
    });
    expect(hasher.needsRehash(other)).toBe(true);
  });

  describe('with other parameters configured', () => {
    const upgraded = new PasswordHasher({ memoryKib: 8_192, timeCost: 3, parallelism: 2 });

    it('hashes with the configured memory, iterations and lanes', async () => {
      expect(await upgraded.hash(password)).toMatch(/^\$argon2id\$v=19\$m=8192,t=3,p=2\$/);
    });

    it('asks to rehash hashes made with the previous parameters, which still verify', async () => {
      expect(upgraded.needsRehash(hash)).toBe(true);
      expect(await upgraded.verify(hash, password)).toBe(true);
    });

    it('does not ask to rehash its own hashes', async () => {
      expect(upgraded.needsRehash(await upgraded.hash(password))).toBe(false);
    });
  });
});
