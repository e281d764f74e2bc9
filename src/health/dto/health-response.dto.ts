import { ApiProperty } from '@nestjs/swagger';

export class LivenessResponseDto {
  @ApiProperty({ example: 'ok', enum: ['ok'] })
  status: 'ok';
}

export class ReadinessResponseDto {
  /** `degraded` when the cache is down: still ready, served from PostgreSQL. */
  @ApiProperty({ enum: ['ok', 'degraded'], example: 'ok' })
  status: 'ok' | 'degraded';

  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  database: 'up' | 'down';

  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  cache: 'up' | 'down';

  /** Per-check detail from the health checks. */
  @ApiProperty({ type: 'object', additionalProperties: true })
  details: Record<string, unknown>;
}
