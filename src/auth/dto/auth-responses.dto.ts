import { ApiProperty } from '@nestjs/swagger';
import type { SessionView } from '../sessions.service.js';

export class TokenPairResponseDto {
  /** ES256 JWT; send as `Authorization: Bearer <accessToken>`. */
  @ApiProperty({ example: 'eyJhbGciOiJFUzI1NiIsImtpZCI6Ii4uLiIsInR5cCI6ImF0K2p3dCJ9...' })
  accessToken: string;

  /** Opaque; single use: each refresh returns a new one and kills this one. */
  @ApiProperty({ example: 'q3J4X0e2c2lWb2Q1cGZ3dW5mR3ZrS3l6bFJ0d0xqUm9' })
  refreshToken: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  tokenType: 'Bearer';

  /** Access token lifetime in seconds. */
  @ApiProperty({ example: 900 })
  expiresIn: number;

  /** Refresh token lifetime in seconds. */
  @ApiProperty({ example: 2592000 })
  refreshExpiresIn: number;
}

export class SessionResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  lastUsedAt: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0 (X11; Linux x86_64)' })
  userAgent: string | null;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip: string | null;

  /** True for the session of the token making this request. */
  @ApiProperty()
  current: boolean;
}

export function toSessionResponse(session: SessionView): SessionResponseDto {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: session.lastUsedAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    userAgent: session.userAgent,
    ip: session.ip,
    current: session.current,
  };
}

export class JsonWebKeyDto {
  @ApiProperty({ example: 'EC' }) kty: string;
  @ApiProperty({ example: 'P-256' }) crv: string;
  @ApiProperty() x: string;
  @ApiProperty() y: string;
  @ApiProperty() kid: string;
  @ApiProperty({ example: 'ES256' }) alg: string;
  @ApiProperty({ example: 'sig' }) use: string;
}

export class JwksResponseDto {
  @ApiProperty({ type: [JsonWebKeyDto] })
  keys: JsonWebKeyDto[];
}
