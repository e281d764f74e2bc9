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

  /** Each dependency's state, terminus style (`{database: {status: 'up'}}`): names and states only. */
  @ApiProperty({
    type: 'object',
    additionalProperties: {
      type: 'object',
      properties: { status: { type: 'string', enum: ['up', 'degraded', 'down'] } },
    },
    example: { database: { status: 'up' }, cache: { status: 'up' } },
  })
  details: Record<string, { status: string }>;
}
