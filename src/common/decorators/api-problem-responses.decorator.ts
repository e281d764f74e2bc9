import { applyDecorators } from '@nestjs/common';
import { ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ProblemDetailsDto } from '../errors/problem-details.dto.js';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (`VALIDATION_FAILED` with `errors`, `MALFORMED_JSON`, `REQUEST_BODY_TOO_DEEP`, `MALFORMED_URL`)',
  401: 'Missing, invalid, expired or revoked credentials',
  403: 'Authenticated but not allowed (`AUTH_FORBIDDEN`)',
  404: 'Not found',
  409: 'Conflict',
  412: '`If-Match` does not match the current ETag (`PRECONDITION_FAILED`)',
  413: 'Body larger than BODY_LIMIT (`PAYLOAD_TOO_LARGE`)',
  415: 'Body is not JSON (`UNSUPPORTED_MEDIA_TYPE`)',
  429: 'Rate limited (`RATE_LIMITED`); see `Retry-After`',
  503: 'Database unavailable (`DATABASE_UNAVAILABLE`); see `Retry-After`',
};

/** Documents error responses as RFC 9457 problem+json with the shared schema. */
export function ApiProblemResponses(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        content: {
          'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsDto) } },
        },
      }),
    ),
  );
}

/** One problem+json response with a route's own description (which codes, and when). */
export function ApiProblemResponse(status: number, description: string) {
  return ApiResponse({
    status,
    description,
    content: {
      'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsDto) } },
    },
  });
}
