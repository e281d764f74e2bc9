import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import type { AuthConfig } from '../../config/app-config.js';
import { AUTH_CONFIG } from '../../config/config-slices.js';
import { SigningKeys } from './signing-keys.js';

/** RFC 9068 media type of JWT access tokens; verification requires it in the header. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessTokenSubject {
  userId: string;
  sessionId: string;
  roles: string[];
}

export interface AccessTokenClaims {
  sub: string;
  sid: string;
  roles: string[];
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
}

@Injectable()
export class AccessTokens {
  constructor(
    private readonly keys: SigningKeys,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  get ttlS(): number {
    return this.config.accessTokenTtlS;
  }

  /** ES256 JWS with `kid`; claims sub, sid, roles, iss, aud, iat, exp, jti. */
  issue(subject: AccessTokenSubject): string {
    const { key, kid } = this.keys.signing;
    return jwt.sign({ sid: subject.sessionId, roles: subject.roles }, key, {
      algorithm: 'ES256',
      keyid: kid,
      header: { alg: 'ES256', kid, typ: ACCESS_TOKEN_TYPE },
      subject: subject.userId,
      issuer: this.config.issuer,
      audience: this.config.audience,
      expiresIn: this.config.accessTokenTtlS,
      jwtid: randomUUID(),
    });
  }
}
