import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { loadCaMaterial, type CaMaterial } from './ca/hierarchy/index.js';
import type { Config } from './config/config.js';
import { systemClock, type Clock } from './domain/clock.js';
import { certRaRoutes, createCertRaSoapService } from './frontend/certra/index.js';
import { createEtkDepotSoapService, etkDepotRestRoutes } from './frontend/etkdepot/index.js';
import { createEtkRaSoapService } from './frontend/etkra/index.js';
import { publicationRoutes } from './frontend/publication-routes.js';
import { projectPaths } from './project-paths.js';
import { CertificateIssuer, warnAboutOrphanIntents } from './services/certificate-issuer.js';
import { CrlPublisher } from './services/crl-publisher.js';
import type { PlatformContext, TrustStores } from './services/platform-context.js';
import { ContractDocuments } from './soap/contract-documents.js';
import { compileEnvelopeValidator } from './soap/request-validator.js';
import { openDatabase, type Database } from './storage/database.js';
import { migrate } from './storage/migrate.js';
import { TrustStore } from './trust/index.js';

export interface Platform {
  readonly app: FastifyInstance;
  readonly database: Database;
  readonly context: PlatformContext;
  /** Stops accepting requests, drains in-flight ones, then closes the database and key handles. */
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
  let ca: CaMaterial | undefined;
  try {
    const applied = await migrate(database, projectPaths.migrations());
    if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'database migrated');
    const clock = options.clock ?? systemClock;
    ca = await loadCaMaterial({
      environment: config.environment,
      caConfigFile: config.caConfigFile,
      dataDir: config.dataDir,
      publicationUrl: config.caPublicationUrl,
      logger: { warn: (message) => logger.warn(message), info: (message) => logger.info(message) },
    });
    // Uses of the CA key that a crash or a rolled-back caller left without a recorded certificate.
    await warnAboutOrphanIntents(database, logger);
    const context: PlatformContext = {
      config,
      logger,
      clock,
      db: database,
      ca,
      issuer: new CertificateIssuer(ca, database, { onJournalError: (error) => logger.error({ err: error }, 'CA key-use journal write failed') }),
      crls: new CrlPublisher(database, clock),
      trust: buildTrustStores(config, ca),
    };
    const app = await buildApp({
      config,
      logger,
      soapServices: [createCertRaSoapService(context), createEtkRaSoapService(context), createEtkDepotSoapService(context)],
      documents: new ContractDocuments(projectPaths.wsdl(), projectPaths.xsd()),
      requestValidator: compileEnvelopeValidator(projectPaths.xsd()),
      checkReady: async () => { await database.query('SELECT 1'); },
      registerRoutes: async (scope) => {
        await publicationRoutes(scope, context);
        await etkDepotRestRoutes(scope, context);
        await certRaRoutes(scope, context);
      },
    });
    let closed = false;
    const material = ca;
    return {
      app,
      database,
      context,
      async close() {
        if (closed) return;
        closed = true;
        await app.close();
        await material.close();
        if (ownsDatabase) await database.close();
      },
    };
  } catch (error) {
    await ca?.close().catch(() => undefined);
    if (ownsDatabase) await database.close();
    throw error;
  }
}

function buildTrustStores(config: Config, ca: CaMaterial): TrustStores {
  const pem = (files: readonly string[]) => files.map((file) => readFileSync(file, 'utf8'));
  // In development the test citizen CA stands in for the Belgian eID CAs.
  const citizen = ca.citizenCa ? [ca.citizenCa.cert] : [];
  const eidSignature = [...pem(config.eidSignatureCaFiles), ...citizen];
  const eidAuthentication = [...pem(config.eidAuthenticationCaFiles), ...citizen];
  if (eidSignature.length === 0 || eidAuthentication.length === 0) {
    throw new Error('no eID CA configured: set EID_SIGNATURE_CA_FILES and EID_AUTHENTICATION_CA_FILES');
  }
  const ehealth = new TrustStore({ anchors: [ca.root.cert], intermediates: ca.issuingChain });
  return {
    eidSignature: new TrustStore({ anchors: eidSignature }),
    eidAuthentication: new TrustStore({ anchors: eidAuthentication }),
    ehealth,
    wsSecurity: new TrustStore({ anchors: [ca.root.cert, ...pem(config.wssTrustAnchorFiles)], intermediates: ca.issuingChain }),
  };
}
