import cluster from 'node:cluster';
import { mkdirSync } from 'node:fs';
import { loadConfig } from './config/config.js';
import { createPlatform } from './composition.js';
import type { Logger } from 'pino';
import { createLogger } from './logging.js';
import { reportWorkerListening, runPrimary } from './workers.js';

/**
 * The logger of the start-up line. That line is info, yet it is written even when LOG_LEVEL is warn or error, as the
 * summary printed on stdout always was: it is the one line that says where the service listens (test and bench
 * harnesses wait for its `listening on port N`, and run the server at warn). LOG_LEVEL=silent silences it.
 */
function startupLogger(logger: Logger): Logger {
  return logger.isLevelEnabled('info') || logger.level === 'silent' ? logger : logger.child({}, { level: 'info' });
}

/** Process entry: configuration → platform → listen; SIGTERM/SIGINT drain in-flight requests and close the database. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  mkdirSync(config.dataDir, { recursive: true });
  if (config.workers > 1 && cluster.isPrimary) {
    const { port, adminPort } = await runPrimary(config, logger, config.workers);
    announce(logger, config, port, adminPort);
    return;
  }
  const platform = await createPlatform(config, logger);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    const timer = setTimeout(() => {
      logger.error('shutdown grace period exceeded; exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    timer.unref();
    try {
      await platform.close();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'error while stopping');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  await platform.app.listen({ port: config.port, host: config.host });
  const address = platform.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let adminPort: number | undefined;
  if (platform.adminApp && config.admin.port !== undefined) {
    await platform.adminApp.listen({ port: config.admin.port, host: config.admin.host });
    const adminAddress = platform.adminApp.server.address();
    adminPort = typeof adminAddress === 'object' && adminAddress ? adminAddress.port : config.admin.port;
  }
  // With workers, the primary announces once every worker listens.
  if (cluster.isWorker) {
    logger.debug({ port, adminPort, pid: process.pid }, 'worker listening');
    reportWorkerListening({ port, adminPort });
  } else announce(logger, config, port, adminPort);
}

function announce(logger: Logger, config: ReturnType<typeof loadConfig>, port: number, adminPort: number | undefined): void {
  const base = config.publicUrl ?? `http://localhost:${port}`;
  const database = config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}`;
  const workers = config.workers > 1 ? `, ${config.workers} workers` : '';
  startupLogger(logger).info(
    {
      port,
      environment: config.environment,
      database,
      workers: config.workers,
      wsdl: { certRa: `${base}/CertRa/v2?wsdl`, etkRa: `${base}/EtkRa/v2?wsdl`, etkDepot: `${base}/EtkDepot/v1?wsdl` },
      ...(adminPort !== undefined ? { adminPort, adminConsole: `https://${config.admin.host}:${adminPort}/console` } : {}),
    },
    `eHealth certificate platform listening on port ${port} (${config.environment}, database: ${database}${workers})`,
  );
  if (config.environment === 'production' && !config.databaseUrl) {
    logger.warn(
      `production on the embedded PGlite in ${config.dataDir}: one process, no standby, the data only in that directory; set DATABASE_URL to run on PostgreSQL`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
