import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { allowedHostsMiddleware } from './common/middleware/allowed-hosts.middleware.js';
import { composeMiddleware } from './common/middleware/compose.js';
import { jsonContentTypeMiddleware } from './common/middleware/json-content-type.middleware.js';
import { requestContextMiddleware } from './common/middleware/request-context.middleware.js';
import { requestInputMiddleware } from './common/middleware/request-input.middleware.js';
import { securityHeadersMiddleware } from './common/middleware/security-headers.middleware.js';
import { ProblemDetailsDto } from './common/errors/problem-details.dto.js';
import { REFRESH_COOKIE_NAME, REFRESH_COOKIE_SECURITY } from './auth/refresh-cookie.js';
import { APP_CONFIG, type AppConfig } from './config/app-config.js';
import { ShutdownState } from './lifecycle/shutdown-state.js';
import { closeConnectionsWhileDraining } from './lifecycle/graceful-shutdown.js';
import { accessLogMiddleware, type Loggers } from './logging/logger.factory.js';
import { LOGGERS } from './logging/logging.module.js';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware.js';
import { MetricsService } from './metrics/metrics.service.js';

export const DOCS_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'docs/openapi.json';

const EXPOSED_HEADERS = [
  'X-Request-Id',
  'X-Response-Time',
  'Server-Timing',
  'X-Cache',
  'ETag',
  'Retry-After',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'RateLimit-Policy',
];

export function buildOpenApiDocument(app: INestApplication) {
  const document = new DocumentBuilder()
    .setTitle('User & auth service')
    .setDescription(
      'Accounts, sessions with rotating refresh tokens, JWKS and roles. Errors are RFC 9457 ' +
        '`application/problem+json` (schema `ProblemDetailsDto`) with a stable `code`.',
    )
    .setVersion('1')
    // Relative: Swagger UI's "Try it out" calls the origin that served the document, whatever
    // host or proxy that is, and a generated client takes its base URL from its user.
    .addServer('/', 'This service (the origin serving this document)')
    .addTag(
      'auth',
      'Registration, sign-in, sessions and refresh tokens, passwords, email verification, JWKS',
    )
    .addTag(
      'users',
      'Your own account, its history and email address; user administration (admin role)',
    )
    .addTag('health', 'Liveness and readiness probes for the orchestrator')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT (ES256)' }, 'bearer')
    .addCookieAuth(
      REFRESH_COOKIE_NAME,
      {
        type: 'apiKey',
        in: 'cookie',
        name: REFRESH_COOKIE_NAME,
        description:
          'Cookie mode (AUTH_COOKIES=true) only: the refresh token as an HttpOnly cookie, set by ' +
          'login and refresh, read by refresh and logout from an Origin listed in CORS_ORIGINS.',
      },
      REFRESH_COOKIE_SECURITY,
    )
    .build();
  return SwaggerModule.createDocument(app, document, { extraModels: [ProblemDetailsDto] });
}

/**
 * Everything that is not a provider: the Express middleware chain in its required order, and the
 * API docs. `main.ts` and the e2e app factory both call this, so tests run the production stack.
 */
export function setupApp(app: NestExpressApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  app.useLogger(app.get(Logger));
  app.flushLogs();

  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  // Express would hash every body for a weak ETag; user resources carry their own strong ETag.
  app.set('etag', false);

  // Order matters: the request id, timing and security headers (Cache-Control: no-store) come
  // first so every response carries them, refusals of the host check and drain included, and the
  // access log and metrics come before the body parser so 400/413 answers are recorded too.
  app.use(
    composeMiddleware(
      requestContextMiddleware,
      securityHeadersMiddleware(DOCS_PATH),
      closeConnectionsWhileDraining(app.get(ShutdownState)),
      accessLogMiddleware(app.get<Loggers>(LOGGERS).access),
      httpMetricsMiddleware(app.get(MetricsService)),
      allowedHostsMiddleware(config.http.allowedHosts),
    ),
  );
  if (config.http.corsOrigins.length > 0) {
    const origins = config.http.corsOrigins;
    app.enableCors({
      origin: origins.includes('*') ? '*' : origins,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: [
        'Authorization',
        'Content-Type',
        'If-Match',
        'If-None-Match',
        'X-Request-Id',
      ],
      exposedHeaders: EXPOSED_HEADERS,
      // Cookie mode: the front end calls refresh and logout with `credentials: 'include'`.
      credentials: config.account.cookies,
      maxAge: 600,
    });
  }
  app.useBodyParser('json', {
    limit: config.http.bodyLimit,
    type: ['application/json', 'application/*+json'],
  });
  // Right after parsing, before guards and pipes: a 3,000-level body or a lone surrogate is a 400
  // here rather than a stack overflow or a URIError further in.
  app.use(composeMiddleware(jsonContentTypeMiddleware, requestInputMiddleware));

  if (config.docs.enabled) {
    SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
      jsonDocumentUrl: OPENAPI_JSON_PATH,
      yamlDocumentUrl: 'docs/openapi.yaml',
      customSiteTitle: 'User & auth service API',
      swaggerOptions: { persistAuthorization: true },
    });
  }
}
