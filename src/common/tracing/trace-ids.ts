/** The ids of the span active where a log line is written or an error answered. */
export interface TraceIds {
  trace_id: string;
  span_id: string;
}

export type TraceIdSource = () => TraceIds | undefined;

let source: TraceIdSource | undefined;

/**
 * Set once at startup when tracing is on (src/main.ts passes it from the SDK it started). Left
 * unset, loggers and problem responses stay exactly as without tracing, and no OpenTelemetry
 * module is loaded.
 */
export function useTraceIdSource(next: TraceIdSource | undefined): void {
  source = next;
}

export function traceIdSource(): TraceIdSource | undefined {
  return source;
}
