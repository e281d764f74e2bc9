import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import {
  generateOpaqueToken,
  hashOpaqueToken,
  OPAQUE_TOKEN_PATTERN,
} from '../../common/security/opaque-token.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** An opaque refresh token: 256 random bits, base64url. */
export const generateRefreshToken = generateOpaqueToken;

/** What the database keeps instead of the token (SHA-256, base64url). */
export const hashRefreshToken = hashOpaqueToken;

/** The shape of a refresh token (43 base64url characters), for the OpenAPI document. */
export const REFRESH_TOKEN_PATTERN = OPAQUE_TOKEN_PATTERN;
const REFRESH_TOKEN_SHAPE = new RegExp(REFRESH_TOKEN_PATTERN);

export function looksLikeRefreshToken(token: string): boolean {
  return REFRESH_TOKEN_SHAPE.test(token);
}

function keyFromToken(token: string): Buffer {
  return Buffer.from(hkdfSync('sha256', token, 'refresh-grace-result', 'v1', 32));
}

/** Encrypts under a key derived from `token`, which the server does not keep. */
export function sealWithToken(token: string, plaintext: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyFromToken(token), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

export function openWithToken(token: string, sealed: Buffer): string {
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', keyFromToken(token), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([
    decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)),
    decipher.final(),
  ]).toString('utf8');
}
