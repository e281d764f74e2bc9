import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { trace } from '@opentelemetry/api';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { RedisInstrumentation } from '@opentelemetry/instrumentation-redis';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { TraceIdSource } from '../common/tracing/trace-ids.js';
import type { TracingConfig } from '../config/tracing-config.js';

/** Probes and scrapes arrive every few seconds from every node: traces of them are noise. */
const isProbeOrScrape = (request: IncomingMessage): boolean =>
  request.url?.startsWith('/health/') === true || request.url?.startsWith('/metrics') === true;

/**
 * Starts the OpenTelemetry SDK: spans of incoming HTTP requests (continuing a caller's W3C
 * `traceparent`), Express routing, pg queries and Redis commands, exported over OTLP as the
 * standard `OTEL_*` variables say (protocol, headers, sampler). Only traces: metrics stay on
 * /metrics. Returns the ids of the active span, for log lines and problem responses.
 */
export function startTracing(config: TracingConfig): TraceIdSource {
  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: isProbeOrScrape }),
      // Nest mounts a dozen middlewares per request; their spans would outnumber the rest.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      // Statement text without parameter values (they hold addresses and token hashes); the
      // outbox and purge timers' queries outside a request make no traces of their own.
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
      new RedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  // The bundle imports Express through ESM, which require-in-the-middle does not see; loaded here
  // through require first, its shared prototypes are patched and the later import gets the same
  // module. pg and @redis/client load their files through require anyway.
  const require = createRequire(import.meta.url);
  for (const name of ['express', 'pg', '@redis/client']) require(name);
  // Spans still batched when the process ends after a graceful shutdown.
  process.once('beforeExit', () => void sdk.shutdown());

  return () => {
    const span = trace.getActiveSpan();
    if (!span) return undefined;
    const { traceId, spanId } = span.spanContext();
    return { trace_id: traceId, span_id: spanId };
  };
}
