import { describe, expect, it } from '@jest/globals';
import { tracingConfigOf } from './tracing-config.js';

describe('tracingConfigOf', () => {
  it.each([
    ['unset', {}],
    ['empty', { OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }],
    [
      'without a scheme (left to the configuration to refuse)',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
    ],
    ['of another scheme', { OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' }],
  ])('leaves tracing off with an endpoint %s', (_case, env) => {
    expect(tracingConfigOf(env)).toBeUndefined();
  });

  it('turns tracing on with an http(s) endpoint, trimming it and the service name', () => {
    expect(
      tracingConfigOf({
        OTEL_EXPORTER_OTLP_ENDPOINT: ' https://collector.example.com:4318 ',
        OTEL_SERVICE_NAME: ' accounts ',
      }),
    ).toEqual({ endpoint: 'https://collector.example.com:4318', serviceName: 'accounts' });
    expect(tracingConfigOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toEqual({
      endpoint: 'http://127.0.0.1:4318',
      serviceName: 'user-auth-service',
    });
  });
});
