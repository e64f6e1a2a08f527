import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one platform instance (a registry per app, no global singletons). */
export interface PlatformMetrics {
  readonly registry: Registry;
  readonly soapCalls: Counter<'service' | 'operation' | 'outcome' | 'code'>;
  readonly soapDuration: Histogram<'service' | 'operation'>;
  /** Every HTTP answer (SOAP, WSDL, REST, OCSP, CRL, TSL, health, metrics), by route pattern and status. */
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
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
    httpRequests: new Counter({
      name: 'ehealth_http_requests_total',
      help: 'HTTP requests by method, route pattern ((unmatched) for 404s outside any route) and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'ehealth_http_request_duration_seconds',
      help: 'HTTP request duration, from request received to response sent',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}

/**
 * Metrics of the expiry reminders, after Boulder's expiration-mailer (send_delay, errors, send_latency,
 * processing_latency, certificates_examined, certificates_already_renewed, certificates_per_account_needing_mail,
 * nags_at_capacity), plus the outbox: what waits for delivery, and since when. Gauges report the value of the database
 * or of the last run, the same in every process: with WORKERS>1 the cluster keeps the largest.
 */
export interface ReminderMetrics {
  readonly certificatesExamined: Counter;
  readonly certificatesAlreadyRenewed: Counter;
  readonly certificatesPerRecipient: Histogram;
  readonly messages: Counter<'channel' | 'outcome'>;
  readonly errors: Counter<'type'>;
  readonly sendLatency: Histogram<'channel'>;
  readonly sendDelay: Histogram<'window'>;
  readonly processingLatency: Histogram;
  readonly atCapacity: Gauge<'stage'>;
  readonly outboxPending: Gauge<'channel'>;
  readonly outboxOldestPendingSeconds: Gauge<'channel'>;
  readonly lastSuccess: Gauge;
}

export function createReminderMetrics(registry: Registry): ReminderMetrics {
  const registers = [registry];
  return {
    certificatesExamined: new Counter({
      name: 'ehealth_reminder_certificates_examined_total',
      help: 'Certificates examined for an expiry reminder (each at most once per nag window)',
      registers,
    }),
    certificatesAlreadyRenewed: new Counter({
      name: 'ehealth_reminder_certificates_already_renewed_total',
      help: 'Certificates due for a reminder but already renewed (a newer valid certificate for the same identifier and application id): no reminder sent',
      registers,
    }),
    certificatesPerRecipient: new Histogram({
      name: 'ehealth_reminder_certificates_per_recipient',
      help: 'Certificates batched in one reminder mail',
      buckets: [1, 2, 3, 5, 10, 20, 50, 100],
      registers,
    }),
    messages: new Counter({
      name: 'ehealth_reminder_messages_total',
      help: 'Reminder deliveries by channel (email, webhook) and outcome: sent, retry (failed, tried again after back-off), failed (refused for good), cancelled (nothing left to remind)',
      labelNames: ['channel', 'outcome'],
      registers,
    }),
    errors: new Counter({
      name: 'ehealth_reminder_errors_total',
      help: 'Reminder errors by type: <channel>-connection, <channel>-temporary, <channel>-permanent, template, plan, deliver',
      labelNames: ['type'],
      registers,
    }),
    sendLatency: new Histogram({
      name: 'ehealth_reminder_send_latency_seconds',
      help: 'Time to hand one reminder to the SMTP server or the webhook',
      labelNames: ['channel'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    sendDelay: new Histogram({
      name: 'ehealth_reminder_send_delay_seconds',
      help: "Time from a reminder's window opening to its delivery, by window (days before the end)",
      labelNames: ['window'],
      buckets: [60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86_400, 3 * 86_400, 7 * 86_400],
      registers,
    }),
    processingLatency: new Histogram({
      name: 'ehealth_reminder_processing_latency_seconds',
      help: 'Duration of one reminder run (planning and delivery)',
      buckets: [0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers,
    }),
    atCapacity: new Gauge({
      name: 'ehealth_reminder_at_capacity',
      help: 'The last run hit REMINDER_BATCH_LIMIT (stage plan: certificates, deliver: messages): more work waits for the next run; if it stays 1 the job falls behind',
      labelNames: ['stage'],
      aggregator: 'max',
      registers,
    }),
    outboxPending: new Gauge({
      name: 'ehealth_reminder_outbox_pending',
      help: 'Reminder messages waiting for delivery, by channel',
      labelNames: ['channel'],
      aggregator: 'max',
      registers,
    }),
    outboxOldestPendingSeconds: new Gauge({
      name: 'ehealth_reminder_outbox_oldest_pending_seconds',
      help: 'Age of the oldest reminder message waiting for delivery, by channel (0 when none waits)',
      labelNames: ['channel'],
      aggregator: 'max',
      registers,
    }),
    lastSuccess: new Gauge({
      name: 'ehealth_reminder_last_success_timestamp_seconds',
      help: 'Unix time of the end of the last reminder run that completed',
      aggregator: 'max',
      registers,
    }),
  };
}

/**
 * Metrics of lookups on a hot standby (DATABASE_READ_URL): how stale the standby is measured to be, and how many lookup
 * queries it answered or left to the primary, and why. Per process; with WORKERS>1 the cluster keeps the largest lag.
 */
export interface ReplicaMetrics {
  readonly replicaQueries: Counter;
  readonly fallbacks: Counter<'reason'>;
}

export function createReplicaMetrics(registry: Registry, measuredLagMs: () => number): ReplicaMetrics {
  const registers = [registry];
  new Gauge({
    name: 'ehealth_replica_lag_seconds',
    help: 'Measured staleness of the standby lookups read from: how long ago the newest primary WAL position it has replayed was sampled (+Inf until measured). Above REPLICA_MAX_STALENESS_MS lookups read the primary',
    aggregator: 'max',
    registers,
    collect() {
      this.set(measuredLagMs() / 1000);
    },
  });
  return {
    replicaQueries: new Counter({
      name: 'ehealth_replica_queries_total',
      help: 'Lookup queries (GetEtk, REST, OCSP and signer statuses, trusted lists) answered by the standby',
      registers,
    }),
    fallbacks: new Counter({
      name: 'ehealth_replica_fallbacks_total',
      help: 'Lookup queries sent to the primary although a standby is configured, by reason: lag (measured staleness beyond REPLICA_MAX_STALENESS_MS), invalidation (the standby has not replayed a revocation or change this process was notified of), replica-error (the standby failed to answer or is not in recovery)',
      labelNames: ['reason'],
      registers,
    }),
  };
}

/** The admin listener's requests (its own series: officers' traffic is not the platform's). */
export function createAdminMetrics(registry: Registry): { requests: Counter<'method' | 'route' | 'status'>; duration: Histogram<'method' | 'route'> } {
  return {
    requests: new Counter({
      name: 'ehealth_admin_http_requests_total',
      help: 'Admin listener requests (API and console) by method, route pattern and status (403: refused officers)',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'ehealth_admin_http_request_duration_seconds',
      help: 'Admin listener request duration',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
  };
}
