import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one platform instance (a registry per app, no global singletons). */
export interface PlatformMetrics {
  readonly registry: Registry;
  readonly soapCalls: Counter<'service' | 'operation' | 'outcome' | 'code'>;
  readonly soapDuration: Histogram<'service' | 'operation'>;
}

export function createMetrics(options: { collectProcessMetrics: boolean }): PlatformMetrics {
  const registry = new Registry();
  if (options.collectProcessMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    soapCalls: new Counter({
      name: 'ehealth_soap_calls_total',
      help: 'SOAP calls by service, operation, outcome (ok, refused, fault) and error code',
      labelNames: ['service', 'operation', 'outcome', 'code'],
      registers: [registry],
    }),
    soapDuration: new Histogram({
      name: 'ehealth_soap_call_duration_seconds',
      help: 'SOAP call duration, from body received to response sent',
      labelNames: ['service', 'operation'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}
