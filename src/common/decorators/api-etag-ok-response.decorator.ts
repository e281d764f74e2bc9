import type { Type } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ETAG_RESPONSE_HEADER } from '../http/with-etag.js';

/** A 200 whose body is one resource and whose `ETag` header is what `If-Match` takes. */
export function ApiEtagOkResponse(type: Type<unknown>, description?: string) {
  return ApiOkResponse({ type, description, headers: ETAG_RESPONSE_HEADER });
}
