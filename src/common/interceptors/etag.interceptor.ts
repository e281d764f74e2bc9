import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import type { Response } from 'express';
import { map, type Observable } from 'rxjs';
import { WithEtag } from '../http/with-etag.js';

/**
 * Unwraps `WithEtag` results: the ETag goes into the header (Express then answers a matching
 * `If-None-Match` with 304) and the body is sent as usual. The response is `no-store` like every
 * API response (security headers middleware); the ETag still serves conditional requests.
 */
@Injectable()
export class EtagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((result: unknown) => {
        if (!(result instanceof WithEtag)) return result;
        const response = context.switchToHttp().getResponse<Response>();
        response.setHeader('ETag', result.etag);
        response.setHeader('Vary', 'Authorization');
        return result.body as unknown;
      }),
    );
  }
}
