import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config/config.js';
import { systemClock, type Clock } from './domain/clock.js';
import { ContractDocuments } from './soap/contract-documents.js';
import { compileEnvelopeValidator } from './soap/request-validator.js';
import type { SoapService } from './soap/service.js';
import { openDatabase, type Database } from './storage/database.js';
import { migrate } from './storage/migrate.js';
import { projectPaths } from './project-paths.js';

export interface Platform {
  readonly app: FastifyInstance;
  readonly database: Database;
  /** Stops accepting requests, drains in-flight ones, then closes the database. */
  close(): Promise<void>;
}

export interface PlatformOptions {
  /** An already-open database (tests); otherwise DATABASE_URL or the embedded PGlite in DATA_DIR. */
  database?: Database;
  clock?: Clock;
}

/** The composition root: the one place that knows every concrete piece and wires them together. */
export async function createPlatform(config: Config, logger: Logger, options: PlatformOptions = {}): Promise<Platform> {
  const ownsDatabase = options.database === undefined;
  const database = options.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  try {
    const applied = await migrate(database, projectPaths.migrations());
    if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'database migrated');
    const clock = options.clock ?? systemClock;
    void clock;
    const documents = new ContractDocuments(projectPaths.wsdl(), projectPaths.xsd());
    const requestValidator = compileEnvelopeValidator(projectPaths.xsd());
    const soapServices: SoapService[] = [
      { path: '/CertRa/v2', wsdlFile: 'certra-v2.wsdl', operations: [] },
      { path: '/EtkRa/v2', wsdlFile: 'etkra-v2.wsdl', operations: [] },
      { path: '/EtkDepot/v1', wsdlFile: 'etkdepot-v1.wsdl', operations: [] },
    ];
    const app = await buildApp({
      config,
      logger,
      soapServices,
      documents,
      requestValidator,
      checkReady: async () => { await database.query('SELECT 1'); },
    });
    let closed = false;
    return {
      app,
      database,
      async close() {
        if (closed) return;
        closed = true;
        await app.close();
        if (ownsDatabase) await database.close();
      },
    };
  } catch (error) {
    if (ownsDatabase) await database.close();
    throw error;
  }
}
