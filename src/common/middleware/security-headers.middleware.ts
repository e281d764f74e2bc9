import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/**
 * helmet's headers, sized to what is served. JSON answers get the ones that matter to an API
 * (a locked-down CSP, no framing, no sniffing, HSTS, referrer and resource policies); the Swagger
 * UI pages get helmet's full defaults. Fewer headers is also fewer bytes on every response.
 *
 * Every answer but the docs is also `Cache-Control: no-store`, set here before anything else so
 * errors, 304s and answers of the body parser carry it too: tokens and personal data must never
 * sit in a browser or shared cache. A route that may be cached says so itself (JWKS).
 */
export function securityHeadersMiddleware(docsPath: string): RequestHandler {
  const forApi = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
  const forDocs = helmet();
  const docsPrefix = `/${docsPath}`;
  return (request: Request, response: Response, next: NextFunction) => {
    if (request.path.startsWith(docsPrefix)) {
      forDocs(request, response, next);
      return;
    }
    response.setHeader('Cache-Control', 'no-store');
    forApi(request, response, next);
  };
}
