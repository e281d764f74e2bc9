import type { NextFunction, Request, Response } from 'express';
import { DomainError } from '../errors/domain-error.js';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  );
}

/**
 * A body that is not JSON would reach validation as "missing" and produce a misleading error;
 * say what is wrong instead (415).
 */
export function jsonContentTypeMiddleware(
  request: Request,
  _response: Response,
  next: NextFunction,
) {
  if (
    METHODS_WITH_BODY.has(request.method) &&
    hasBody(request) &&
    !request.is(['application/json', 'application/*+json'])
  ) {
    next(
      new DomainError(
        'UNSUPPORTED_MEDIA_TYPE',
        'unsupported_media_type',
        'Request bodies must be JSON (Content-Type: application/json).',
      ),
    );
    return;
  }
  next();
}
