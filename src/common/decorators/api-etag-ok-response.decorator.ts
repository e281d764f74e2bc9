import type { Type } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';

/** A 200 whose body is one resource and whose `ETag` header is what `If-Match` takes. */
export function ApiEtagOkResponse(type: Type<unknown>, description?: string) {
  return ApiOkResponse({
    type,
    description,
    headers: {
      ETag: {
        description: 'Strong entity tag of the resource; send it as `If-Match` to change it.',
        required: true,
        schema: { type: 'string' },
      },
    },
  });
}
