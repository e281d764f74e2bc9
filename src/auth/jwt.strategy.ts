import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import type { Jwt, JwtPayload } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { AuthenticatedUser } from '../common/security/authenticated-user.js';
import { isUuid } from '../common/validation/uuid.js';
import type { AuthConfig } from '../config/app-config.js';
import { AUTH_CONFIG } from '../config/config-slices.js';
import { AuthErrors } from './auth.errors.js';
import { ACCESS_TOKEN_TYPE } from './tokens/access-tokens.js';
import { SigningKeys } from './tokens/signing-keys.js';

// Tokens claiming to be issued in the future are forged or from a badly skewed clock.
const MAX_ISSUED_AT_SKEW_S = 60;

function readHeader(rawJwt: string): { alg?: unknown; kid?: unknown } | undefined {
  try {
    return JSON.parse(Buffer.from(rawJwt.split('.')[0], 'base64url').toString('utf8')) as {
      alg?: unknown;
      kid?: unknown;
    };
  } catch {
    return undefined;
  }
}

/**
 * Verifies access tokens: ES256 only (so `none` and HS256-with-the-public-key fail), issuer and
 * audience pinned, key chosen by `kid` among our own keys (a `jku`/`x5u` header is never followed).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(keys: SigningKeys, @Inject(AUTH_CONFIG) config: AuthConfig) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms: ['ES256'],
      issuer: config.issuer,
      audience: config.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { complete: true, clockTolerance: 0 },
      // passport-jwt's types predate KeyObject support; jsonwebtoken accepts a KeyObject.
      secretOrKeyProvider: (
        _request: Request,
        rawJwt: string,
        done: (error: unknown, key?: string) => void,
      ) => {
        const header = readHeader(rawJwt);
        const key = typeof header?.kid === 'string' ? keys.verificationKey(header.kid) : undefined;
        if (header?.alg !== 'ES256' || !key) done(AuthErrors.tokenInvalid());
        else done(null, key as unknown as string);
      },
    });
  }

  validate(token: Jwt): AuthenticatedUser {
    const claims = token.payload as JwtPayload;
    const now = Math.floor(Date.now() / 1000);
    const isWellFormed =
      token.header.typ === ACCESS_TOKEN_TYPE &&
      isUuid(claims.sub) &&
      isUuid(claims.sid) &&
      Array.isArray(claims.roles) &&
      claims.roles.every((role) => typeof role === 'string') &&
      typeof claims.exp === 'number' &&
      typeof claims.iat === 'number' &&
      claims.iat <= now + MAX_ISSUED_AT_SKEW_S &&
      typeof claims.jti === 'string';
    if (!isWellFormed) throw AuthErrors.tokenInvalid();
    return {
      id: claims.sub as string,
      sessionId: claims.sid as string,
      roles: claims.roles as string[],
      expiresAt: claims.exp as number,
    };
  }
}
