import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { routePatternOf } from '../common/http/request-context.js';
import type { MetricsService } from './metrics.service.js';

/** Observes every response, including ones the framework answers itself (404, 413). */
export function httpMetricsMiddleware(metrics: MetricsService): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    const stopTimer = metrics.httpDuration.startTimer();
    response.once('finish', () => {
      stopTimer({
        method: request.method,
        // Unmatched paths share one label: raw URLs would explode the series count.
        route: routePatternOf(request) ?? 'unmatched',
        status: String(response.statusCode),
      });
    });
    next();
  };
}
