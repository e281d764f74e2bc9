import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { loggableError } from '../errors/loggable-error.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../errors/problem-details.js';
import { pathOf, requestIdOf } from '../http/request-context.js';
import { traceIdSource } from '../tracing/trace-ids.js';

/** Answers every error, ours or the framework's, as RFC 9457 problem+json. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const problem = toProblem(exception, {
      path: pathOf(request),
      requestId: requestIdOf(request),
      traceId: traceIdSource()?.()?.trace_id,
    });

    if (problem.isUnexpected) {
      // Under `error`, not `err`: pino's err serializer would retitle the plain object's type.
      this.logger.error(
        { error: loggableError(exception), requestId: problem.body.requestId },
        'unhandled error while serving a request',
      );
    } else if (problem.body.status >= 500) {
      this.logger.warn(
        { code: problem.body.code, err: (exception as Error | undefined)?.message },
        problem.body.detail,
      );
    }

    if (response.headersSent) {
      response.end();
      return;
    }
    for (const [name, value] of Object.entries(problem.headers)) response.setHeader(name, value);
    response
      .status(problem.body.status)
      .type(PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify(problem.body));
  }
}
