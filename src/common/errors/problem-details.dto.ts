import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'email' })
  field: string;

  @ApiProperty({ example: 'email must be an email' })
  message: string;
}

/** RFC 9457 problem details: the body of every error response (`application/problem+json`). */
export class ProblemDetailsDto {
  @ApiProperty({ example: 'urn:problem:validation-failed' })
  type: string;

  @ApiProperty({ example: 'Bad Request' })
  title: string;

  @ApiProperty({ example: 400 })
  status: number;

  @ApiProperty({ example: 'The request has invalid or unknown fields; see errors.' })
  detail: string;

  @ApiProperty({ example: '/api/v1/auth/register' })
  instance: string;

  /** Stable, machine-readable error code. */
  @ApiProperty({ example: 'VALIDATION_FAILED' })
  code: string;

  @ApiProperty({ example: '5f0c6c2e-8f61-4c2b-9d0e-0f4b7b1f8a11' })
  requestId: string;

  /** The W3C trace id of the request; present only when tracing is on. */
  @ApiPropertyOptional({ example: '4bf92f3577b34da6a3ce929d0e0e4736' })
  traceId?: string;

  @ApiPropertyOptional({ type: [FieldErrorDto] })
  errors?: FieldErrorDto[];
}
