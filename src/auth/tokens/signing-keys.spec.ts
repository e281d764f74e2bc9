import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { jwkThumbprint, parsePublicKeyBundle } from './signing-keys.js';

const p256 = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pem = (key: KeyObject) => key.export({ format: 'pem', type: 'spki' }) as string;

describe('jwkThumbprint', () => {
  it('is the RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order', () => {
    const { publicKey } = p256();
    const jwk = publicKey.export({ format: 'jwk' });
    const canonical = `{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`;
    const expected = createHash('sha256').update(canonical, 'utf8').digest('base64url');
    expect(jwkThumbprint(publicKey)).toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('gives the known thumbprint of the RFC 7517 example EC key', () => {
    const publicKey = createPublicKey({
      format: 'jwk',
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
        y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
      },
    });
    expect(jwkThumbprint(publicKey)).toBe('oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U');
  });

  it('is the same for a key however it was loaded, and differs between keys', () => {
    const first = p256();
    const second = p256();
    expect(jwkThumbprint(createPublicKey(pem(first.publicKey)))).toBe(
      jwkThumbprint(first.publicKey),
    );
    expect(jwkThumbprint(createPublicKey(first.privateKey))).toBe(jwkThumbprint(first.publicKey));
    expect(jwkThumbprint(second.publicKey)).not.toBe(jwkThumbprint(first.publicKey));
  });
});

describe('parsePublicKeyBundle', () => {
  it('reads every P-256 public key of a bundle, in order', () => {
    const first = p256().publicKey;
    const second = p256().publicKey;
    const bundle = `# previous key\n${pem(first)}\nnext key:\n${pem(second)}`;

    const keys = parsePublicKeyBundle(bundle, 'keys.pem');

    expect(keys.map(jwkThumbprint)).toEqual([jwkThumbprint(first), jwkThumbprint(second)]);
  });

  it('refuses an RSA public key, naming the source', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(() => parsePublicKeyBundle(pem(publicKey), 'rsa.pem')).toThrow(/^rsa\.pem: .*EC P-256/);
  });

  it('refuses a bundle where one of the keys is not P-256', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
    const bundle = `${pem(p256().publicKey)}${pem(p384)}`;
    expect(() => parsePublicKeyBundle(bundle, 'mixed.pem')).toThrow(/EC P-256/);
  });

  it.each([
    ['an empty file', ''],
    ['text without a PEM block', 'not a key'],
    [
      'only a private key',
      generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
        format: 'pem',
        type: 'pkcs8',
      }) as string,
    ],
  ])('refuses %s with "no BEGIN PUBLIC KEY block"', (_case, contents) => {
    expect(() => parsePublicKeyBundle(contents, 'empty.pem')).toThrow(
      'empty.pem: no "BEGIN PUBLIC KEY" block found',
    );
  });
});
