import { createHash, randomBytes } from 'node:crypto';

const TOKEN_BYTES = 32;

/** An opaque bearer secret: 256 random bits, base64url (43 characters). */
export function generateOpaqueToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * What the database keeps instead of the token. A fast hash is right here: the token is 256
 * random bits, so there is nothing to brute-force.
 */
export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** The shape of an opaque token, for validation and the OpenAPI document. */
export const OPAQUE_TOKEN_PATTERN = '^[A-Za-z0-9_-]{43}$';
