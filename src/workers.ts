import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Config } from './config/config.js';

/**
 * WORKERS=N: N server processes on one port (node:cluster; the primary accepts and hands connections over), each with
 * its own database pool and LISTEN connection, so the caches stay coherent through the same NOTIFY channels as
 * separate servers. The primary only supervises: a worker that dies is logged and replaced, SIGTERM drains every
 * worker, and /metrics on any worker answers for all of them (prom-client's AggregatorRegistry, over IPC).
 */

const METRICS_REQUEST = 'ehealth:metrics-request';
const METRICS_RESPONSE = 'ehealth:metrics-response';
const WORKER_LISTENING = 'ehealth:worker-listening';

/** What a worker tells the primary once all its listeners are up (the service's and the admin listener's ports). */
export interface ListeningPorts {
  readonly port: number;
  readonly adminPort: number | undefined;
}

interface WorkerListening extends ListeningPorts {
  readonly type: typeof WORKER_LISTENING;
}

/** In a worker: tells the primary its listeners are up (cluster's own 'listening' fires once per server). */
export function reportWorkerListening(ports: ListeningPorts): void {
  process.send?.({ type: WORKER_LISTENING, ...ports } satisfies WorkerListening);
}
/** A worker that dies within this long of its start is replaced only after a pause: no tight crash loop. */
const EARLY_DEATH_MS = 5_000;
const RESTART_PAUSE_MS = 1_000;

interface MetricsRequest {
  readonly type: typeof METRICS_REQUEST;
  readonly id: string;
}

interface MetricsResponse {
  readonly type: typeof METRICS_RESPONSE;
  readonly id: string;
  readonly text?: string;
  readonly error?: string;
}

/** Runs the supervising primary; resolves once every worker has its listeners up, with the shared ports. */
export async function runPrimary(config: Config, logger: Logger, workerCount: number): Promise<ListeningPorts> {
  const aggregator = new AggregatorRegistry();
  const startedAt = new Map<number, number>();
  let stopping = false;
  // Resolved once every first-generation worker has all its listeners up (replacements report again: ignored).
  let onWorkerListening: (ports: ListeningPorts) => void = () => undefined;
  const listening = new Promise<ListeningPorts>((resolve) => {
    let count = 0;
    onWorkerListening = (ports) => {
      if (++count === workerCount) resolve({ port: ports.port, adminPort: ports.adminPort });
    };
  });

  const fork = (): Worker => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
    worker.on('message', (message: MetricsRequest | WorkerListening) => {
      if (message?.type === WORKER_LISTENING) {
        onWorkerListening(message);
        return;
      }
      if (message?.type !== METRICS_REQUEST) return;
      aggregator.clusterMetrics().then(
        (text) => worker.send({ type: METRICS_RESPONSE, id: message.id, text } satisfies MetricsResponse),
        (error: Error) => worker.send({ type: METRICS_RESPONSE, id: message.id, error: error.message } satisfies MetricsResponse),
      );
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    logger.error({ worker: worker.id, pid: worker.process.pid, code, signal }, 'worker died: starting a replacement');
    setTimeout(fork, lived < EARLY_DEATH_MS ? RESTART_PAUSE_MS : 0);
  });

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, 'shutting down: draining every worker');
    const timer = setTimeout(() => {
      logger.error('shutdown grace period exceeded; exiting');
      process.exit(1);
    }, config.shutdownGraceMs + 1_000);
    timer.unref();
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    let remaining = workers.length;
    let failed = false;
    if (remaining === 0) process.exit(0);
    for (const worker of workers) {
      worker.once('exit', (code, signal) => {
        // A worker still starting has no SIGTERM handler yet and dies of the signal: nothing was in flight there.
        failed ||= code !== 0 && signal !== 'SIGTERM';
        if (--remaining === 0) {
          logger.info('stopped');
          process.exit(failed ? 1 : 0);
        }
      });
      worker.process.kill('SIGTERM');
    }
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  for (let index = 0; index < workerCount; index++) fork();
  return listening;
}

/**
 * The text of GET /metrics: this process's registry, or, in a worker, every worker's merged by the primary (counters
 * summed, histograms merged; process metrics labelled per worker by prom-client).
 */
export function metricsSource(registry: Registry): () => Promise<string> {
  if (!cluster.isWorker || !process.send) return () => registry.metrics();
  // Constructing one installs prom-client's worker-side listener, which answers the primary with these registries.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  const pending = new Map<string, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  process.on('message', (message: MetricsResponse) => {
    if (message?.type !== METRICS_RESPONSE) return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.text !== undefined) waiting?.resolve(message.text);
    else waiting?.reject(new Error(message.error ?? 'no metrics from the primary'));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('the primary did not answer the metrics request'));
      }, 5_000);
      pending.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      process.send!({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
    });
}
