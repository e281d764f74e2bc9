import type { NextFunction, Request, Response } from 'express';
import { DomainError } from '../errors/domain-error.js';
import { requestValidationError } from '../pipes/validation.pipe.js';
import { findJsonInputProblem, MAX_JSON_DEPTH } from '../validation/json-input.js';

/** True when every percent-escape in the URL decodes, and decodes to UTF-8. */
function isDecodableUrl(url: string): boolean {
  if (!url.includes('%')) return true;
  try {
    decodeURIComponent(url);
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuses, before authentication and before class-transformer, what no route accepts: a URL whose
 * percent-escapes are not UTF-8 (an encoded lone surrogate, `%FF`: Express's query parser would
 * quietly turn it into U+FFFD), a JSON body nested deeper than MAX_JSON_DEPTH, and keys or strings
 * in the body that are not well-formed Unicode. Headers need no check: Node decodes them as
 * Latin-1, which is always well-formed.
 */
export function requestInputMiddleware(request: Request, _response: Response, next: NextFunction) {
  if (!isDecodableUrl(request.url)) {
    next(
      new DomainError(
        'MALFORMED_URL',
        'invalid',
        'The URL has percent-escapes that are not valid UTF-8.',
      ),
    );
    return;
  }
  const body: unknown = request.body;
  const problem =
    typeof body === 'object' && body !== null ? findJsonInputProblem(body) : undefined;
  if (problem?.kind === 'too_deep') {
    next(
      new DomainError(
        'REQUEST_BODY_TOO_DEEP',
        'invalid',
        `The request body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels.`,
        {
          fieldErrors: [
            { field: problem.field, message: `nests deeper than ${MAX_JSON_DEPTH} levels` },
          ],
        },
      ),
    );
    return;
  }
  if (problem?.kind === 'ill_formed_text') {
    next(
      requestValidationError([
        {
          field: problem.field,
          message: `${problem.field} must be well-formed Unicode text (no lone surrogates)`,
        },
      ]),
    );
    return;
  }
  next();
}
