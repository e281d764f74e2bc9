import { createHmac, sign, type KeyObject } from 'node:crypto';

export type JoseHeader = Record<string, unknown>;
export type JwtClaims = Record<string, unknown>;

export interface DecodedJwt {
  header: JoseHeader;
  payload: JwtClaims;
  signature: Buffer;
}

export function encodeJwtPart(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Reads a compact JWS without verifying it. */
export function decodeJwt(token: string): DecodedJwt {
  const [header, payload, signature] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as JoseHeader,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as JwtClaims,
    signature: Buffer.from(signature, 'base64url'),
  };
}

function signingInput(header: JoseHeader, payload: JwtClaims): string {
  return `${encodeJwtPart(header)}.${encodeJwtPart(payload)}`;
}

/** ES256 as JWS defines it: the raw r||s signature (IEEE P1363), not DER. */
export function signEs256(header: JoseHeader, payload: JwtClaims, privateKey: KeyObject): string {
  const input = signingInput(header, payload);
  const signature = sign('sha256', Buffer.from(input), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}

export function signHs256(header: JoseHeader, payload: JwtClaims, secret: string | Buffer): string {
  const input = signingInput(header, payload);
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export function unsignedJwt(header: JoseHeader, payload: JwtClaims): string {
  return `${signingInput(header, payload)}.`;
}
