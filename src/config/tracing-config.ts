/** Where spans go and the name they carry; tracing is off when there is no endpoint. */
export interface TracingConfig {
  endpoint: string;
  serviceName: string;
}

export const DEFAULT_SERVICE_NAME = 'user-auth-service';

type TracingVariables = { OTEL_EXPORTER_OTLP_ENDPOINT?: string; OTEL_SERVICE_NAME?: string };

/**
 * Undefined (off) without an http(s) endpoint. A malformed endpoint leaves tracing off here and is
 * reported by the configuration's validation, which then refuses to start.
 */
export function tracingConfigOf(env: TracingVariables): TracingConfig | undefined {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint || !/^https?:\/\/[^\s/]/i.test(endpoint)) return undefined;
  return { endpoint, serviceName: env.OTEL_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME };
}

/**
 * Read by the entry point before the application and its configuration load: the tracing SDK
 * must patch Express, pg and Redis before they are imported.
 */
export function tracingConfigFromEnvironment(): TracingConfig | undefined {
  return tracingConfigOf(process.env);
}
