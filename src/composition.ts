import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { buildApp } from './app.js';
import { toPem } from './ca/x509/index.js';
import { buildAdminApp } from './frontend/admin/admin-app.js';
import { AdminService } from './services/admin/admin-service.js';
import { ensureDevAuditKey } from './ca/hierarchy/dev-audit-key.js';
import { joinUrl, loadCaMaterial, type CaMaterial, type OcspServedCa } from './ca/hierarchy/index.js';
import { openKeySigner, parseKeyReference, type ClosableKeySigner } from './ca/keys/key-reference.js';
import { publicSettings, type Config } from './config/config.js';
import { systemClock, type Clock } from './domain/clock.js';
import { SignedRequestAuthenticator } from './frontend/authentication/signed-request.js';
import { certRaRoutes, createCertRaSoapService, type CertRaFrontEndDependencies } from './frontend/certra/index.js';
import { BearerTokenAuthenticator } from './frontend/authentication/bearer-token.js';
import { eteeRestRoutes } from './frontend/etee/rest.js';
import { createEtkDepotSoapService, etkDepotRestRoutes, type EtkDepotFrontEndDependencies } from './frontend/etkdepot/index.js';
import { WITHOUT_TOKEN_ISSUER } from './frontend/etkdepot/rest.js';
import { responseSigner, WsSecurityGate } from './frontend/etkdepot/ws-security-gate.js';
import { createEtkRaSoapService } from './frontend/etkra/index.js';
import { ocspRoutes } from './frontend/ocsp-routes.js';
import { renderSignedTrustList } from './frontend/trust-list/trust-list-document.js';
import { trustListRoutes } from './frontend/trust-list/trust-list-routes.js';
import { publicationRoutes } from './frontend/publication-routes.js';
import { createAdminMetrics, createReminderMetrics, createReplicaMetrics } from './metrics.js';
import { projectPaths } from './project-paths.js';
import { AuditChain } from './services/audit-chain.js';
import { caKeys, checkHealth, type HealthReport } from './services/health.js';
import { claimCaIdentity } from './services/ca-identity.js';
import { CertificateIssuer, warnAboutOrphanIntents } from './services/certificate-issuer.js';
import { createCertRaDependencies, type CertRaDependencies } from './services/certra/index.js';
import { CrlPublisher } from './services/crl-publisher.js';
import { EtkDirectory } from './services/etk-directory.js';
import { EtkRegistration } from './services/etk-registration.js';
import { OCSP_PATH, OcspResponder } from './services/ocsp-responder.js';
import { developmentKgssKeySource, loadKgssIdentity, type KgssIdentityDependencies, type KgssKeySource } from './services/kgss/kgss-identity.js';
import { KgssService } from './services/kgss/kgss-service.js';
import { registerOperationsMetrics, signingCertificateExpiries } from './services/operations-metrics.js';
import { parseEtk } from './ca/etk/index.js';
import { createKgssSoapService, compileKgssContentValidator } from './frontend/kgss/index.js';
import { ExpiryReminders, SmtpMailer, WebhookSender, type ReminderChannels } from './services/reminders/index.js';
import { TrustListPublisher } from './services/trust-list/trust-list-publisher.js';
import { openResponseSigningCredential } from './services/response-signing-credential.js';
import { SignerRevocation } from './services/signer-revocation.js';
import { ContractDocuments } from './soap/contract-documents.js';
import { compileEnvelopeValidator } from './soap/request-validator.js';
import { openDatabase, openPostgres, type Database } from './storage/database.js';
import { describeDatabaseUrl, ReadRouter } from './storage/read-router.js';
import { migrate } from './storage/migrate.js';
import { TrustStore, type RevocationChecker } from './trust/index.js';
import { certificatesFrom } from './x509/certificate.js';

/**
 * The composition root: the one place that knows every concrete piece and wires them together. `createServices`
 * builds the services and what they stand on (database, CA, repositories); `createPlatform` adds the front ends (SOAP,
 * REST, publication) around them. The admin CLI uses `createServices` alone.
 */

/** Every service of the platform, built once per process. */
export interface PlatformServices {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly db: Database;
  /** Lookups' route to the hot standby (DATABASE_READ_URL) in the server; undefined: lookups read `db`. */
  readonly readRouter: ReadRouter | undefined;
  readonly ca: CaMaterial;
  readonly issuer: CertificateIssuer;
  readonly crls: CrlPublisher;
  readonly certRa: CertRaDependencies;
  readonly etkRegistration: EtkRegistration;
  readonly etkDirectory: EtkDirectory;
  readonly signerRevocation: SignerRevocation;
  /** RFC 6960 responder for the CAs whose responder key is configured (none: every request is unauthorized). */
  readonly ocsp: OcspResponder;
  /** The eHealth trusted lists (ETSI TS 119 612), when a TSL signer is configured. */
  readonly trustLists: TrustListPublisher;
  /** The hash-chained audit log: seals committed records, signs checkpoints with the audit key. */
  readonly auditChain: AuditChain;
  /** Expiry reminders by e-mail and webhook (enabled when SMTP_URL or REMINDER_WEBHOOK_URL is set); the admin listings. */
  readonly reminders: ExpiryReminders;
  /** What officers do: the admin API and console, and the CLI on a stopped instance. */
  readonly admin: AdminService;
  /** KGSS v1 (keys for unknown recipients): in the server, when it has keys (development, or KGSS_KEY_DIR). */
  readonly kgss: KgssService | undefined;
  /** Metrics the services keep (the reminders'), for /metrics or a worker's own endpoint. */
  readonly metricsRegistry: Registry;
  /** The database answers and every signing key (CA, signers, audit) is reachable: what /health reports. */
  checkHealth(): Promise<HealthReport>;
  /** Stops LISTENs, closes key handles, and the database when it was opened here. */
  close(): Promise<void>;
}

export interface ServicesOptions {
  /** An already-open database (tests); otherwise DATABASE_URL or the embedded PGlite in DATA_DIR. */
  database?: Database;
  clock?: Clock;
  /**
   * Load the KGSS (its keys, certificate and ETK): the server does; the admin CLI, which never answers KGSS
   * requests, does not (each command would otherwise open three keys).
   */
  kgss?: boolean;
  /** Read lookups from the standby of DATABASE_READ_URL when it is set: the server does; the admin CLI reads the primary. */
  readReplica?: boolean;
}

export async function createServices(config: Config, logger: Logger, options: ServicesOptions = {}): Promise<PlatformServices> {
  const ownsDatabase = options.database === undefined;
  const db =
    options.database ??
    (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, preparedStatements: config.databasePreparedStatements }));
  let ca: CaMaterial | undefined;
  let readRouter: ReadRouter | undefined;
  try {
    const applied = await migrate(db, projectPaths.migrations());
    if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'database migrated');
    const clock = options.clock ?? systemClock;
    ca = await loadCaMaterial({
      environment: config.environment,
      caConfigFile: config.caConfigFile,
      dataDir: config.dataDir,
      publicationUrl: config.caPublicationUrl,
      logger: { warn: (message) => logger.warn(message), info: (message) => logger.info(message) },
    });
    // One CA per database: replicas must not each bring a development CA of their own.
    await claimCaIdentity(db, ca, { warn: (message) => logger.warn(message) });
    // Uses of the CA key that a crash or a rolled-back caller left without a recorded certificate.
    await warnAboutOrphanIntents(db, logger);
    // Certificates name our OCSP responder only when the issuing CA has one.
    const ocspUrl = ca.ocspResponderKeys.issuing ? joinUrl(ca.publicationUrl, OCSP_PATH) : undefined;
    if (!ocspUrl) logger.warn('no OCSP responder key for the issuing CA (CA config ocspResponders.issuing): certificates name no OCSP responder');
    const issuer = new CertificateIssuer(ca, db, {
      ...(ocspUrl ? { ocspUrl } : {}),
      onJournalError: (error) => logger.error({ err: error }, 'CA key-use journal write failed'),
    });
    const crls = new CrlPublisher(db, clock);
    const metricsRegistry = new Registry();
    if (options.readReplica && config.databaseReadUrl) readRouter = await openReadRouter(config, config.databaseReadUrl, db, logger, metricsRegistry);
    // GetEtk and REST, OCSP and signer statuses, trusted lists: the standby when fresh enough; everything else: db.
    const lookups = readRouter ?? db;
    const cacheSettings = { enabled: config.etkDepotCache, maxEntries: config.etkDepotCacheEntries, maxAgeSeconds: config.etkDepotCacheMaxAgeSeconds };
    const material = ca;
    const etkDirectory = new EtkDirectory({
      db,
      lookups,
      clock,
      cache: config.etkDepotCache,
      maxEntries: config.etkDepotCacheEntries,
      maxAgeSeconds: config.etkDepotCacheMaxAgeSeconds,
      onListenError: (error) => logger.warn({ err: error }, 'ETKDepot: LISTEN failed, lookups stay uncached'),
    });
    const signerRevocation = new SignerRevocation(
      db,
      ca,
      {
        ...cacheSettings,
        onListenError: (error) => logger.warn({ err: error }, 'ETKDepot: LISTEN for revocations failed, signers are checked on every request'),
      },
      lookups,
    );
    const ocsp = new OcspResponder(
      { db, lookups, clock, ca, issuer },
      {
        environment: config.environment,
        responderValidityDays: config.ocspResponderValidityDays,
        responderRenewBeforeDays: config.ocspResponderRenewBeforeDays,
        cache: {
          ...cacheSettings,
          onListenError: (error) => logger.warn({ err: error }, 'OCSP: LISTEN for revocations failed, responses are signed per request'),
        },
      },
    );
    const tslSigner = ca.tslSigner;
    if (!tslSigner) logger.warn('no TSL signer (CA config tslSigner): the trusted lists under /tsl are not published');
    const trustLists = new TrustListPublisher(
      {
        db,
        lookups,
        clock,
        sources: {
          ca,
          eidCas: eidCaCertificates(config, ca),
          ...(config.tslTsaCertFile ? { tsa: certificatesFrom(readFileSync(config.tslTsaCertFile, 'utf8'))[0]! } : {}),
        },
        render: (content, edition) => renderSignedTrustList(content, edition, { certificate: tslSigner!.cert, signer: tslSigner!.signer }),
      },
      {
        validityDays: config.tslValidityDays,
        reissueDays: config.tslReissueDays,
        publicationUrl: config.publicUrl ?? config.caPublicationUrl,
        operator: { ...config.tslOperator, informationUrl: `${config.publicUrl ?? config.caPublicationUrl}/tsl` },
      },
    );
    const auditSigner = await openAuditSigner(config, ca);
    if (!auditSigner) logger.warn('no audit key (AUDIT_KEY): the audit log is hash-chained, but no checkpoint is signed');
    const auditChain = new AuditChain(
      { db, clock, signer: auditSigner },
      { checkpointEveryRecords: config.auditCheckpointEveryRecords, checkpointEveryMinutes: config.auditCheckpointEveryMinutes },
    );
    const certRa = createCertRaDependencies({ config, clock, db, issuer, crls });
    const kgss = options.kgss
      ? await createKgss(config, logger, { db, clock, ca, issuer, environment: config.environment }, signerRevocation.checker)
      : undefined;
    const signerSources = {
      ca,
      ocspResponderCertificate: (role: OcspServedCa) => ocsp.responderCertificate(role),
      ...(kgss ? { kgssCertificate: () => parseEtk(kgss.etk).authenticationCertificate } : {}),
      onError: (error: unknown) => logger.warn({ err: error }, 'metrics: the operations gauges could not be read'),
    };
    registerOperationsMetrics(metricsRegistry, { db: lookups, ...signerSources });
    const reminderChannels = createReminderChannels(config);
    const reminders = new ExpiryReminders(
      {
        db,
        clock,
        logger,
        metrics: createReminderMetrics(metricsRegistry),
        channels: reminderChannels,
        secrets: reminderSecrets(config),
      },
      {
        environment: config.environment,
        nagDays: config.reminders.nagDays,
        renewalPeriodMonths: certRa.policy.replacementPeriodMonths,
        batchLimit: config.reminders.batchLimit,
        parallelSends: config.reminders.parallelSends,
        defaultLanguage: config.reminders.defaultLanguage,
        retryBaseSeconds: config.reminders.retryBaseSeconds,
        retryMaxSeconds: config.reminders.retryMaxSeconds,
        leaseSeconds: 600,
        templates: { builtinDirectory: projectPaths.reminderTemplates(), overrideDirectory: config.reminders.templateDir },
      },
    );
    let closed = false;
    return {
      config,
      logger,
      clock,
      db,
      readRouter,
      ca,
      issuer,
      crls,
      certRa,
      etkRegistration: new EtkRegistration({ db, clock, ca, challengeTtlSeconds: config.etkChallengeTtlSeconds }),
      etkDirectory,
      signerRevocation,
      ocsp,
      trustLists,
      auditChain,
      reminders,
      admin: new AdminService({
        db,
        clock,
        environment: config.environment,
        ca,
        issuer,
        crls,
        certRa,
        dualControl: config.admin.dualControl,
        signingCertificates: () => signingCertificateExpiries(signerSources),
      }),
      kgss,
      metricsRegistry,
      checkHealth: () =>
        checkHealth({
          ping: () => db.ping(),
          keys: [...caKeys(material), ...(auditSigner ? [{ name: 'audit checkpoint key', signer: auditSigner }] : []), ...(kgss?.keys ?? [])],
          logger,
        }),
      async close() {
        if (closed) return;
        closed = true;
        await Promise.all([etkDirectory.stop(), signerRevocation.stop(), ocsp.stop(), auditChain.stop(), reminders.stop()]);
        reminderChannels.mailer?.close();
        // What this process wrote joins the chain before it goes.
        await auditChain.seal().catch((error: unknown) => logger.warn({ err: error }, 'audit: sealing at close failed'));
        await auditSigner?.close();
        await kgss?.close();
        await material.close();
        await readRouter?.close();
        if (ownsDatabase) await db.close();
      },
    };
  } catch (error) {
    await ca?.close().catch(() => undefined);
    await readRouter?.close().catch(() => undefined);
    if (ownsDatabase) await db.close();
    throw error;
  }
}

export interface Platform {
  readonly app: FastifyInstance;
  /** The admin listener's app (HTTPS, officer certificates), unless ADMIN_PORT=off or production lacks its TLS files. */
  readonly adminApp: FastifyInstance | undefined;
  readonly services: PlatformServices;
  /** Stops accepting requests, drains in-flight ones, then closes the services (database, key handles). */
  close(): Promise<void>;
}

export type PlatformOptions = ServicesOptions;

export async function createPlatform(config: Config, logger: Logger, options: PlatformOptions = {}): Promise<Platform> {
  const services = await createServices(config, logger, { ...options, kgss: true, readReplica: true });
  try {
    const { ca, clock, db } = services;
    const trust = buildTrustStores(config, ca);
    // The key usage tells the two eID keys apart: Signature = nonRepudiation only, Authentication = digitalSignature.
    const authenticator = new SignedRequestAuthenticator({
      clock,
      clockSkewSeconds: config.clockSkewSeconds,
      roles: {
        'eid-signature': { trust: trust.eidSignature, requiredKeyUsage: ['nonRepudiation'] },
        'eid-authentication': { trust: trust.eidAuthentication, requiredKeyUsage: ['digitalSignature'] },
        ehealth: { trust: trust.ehealth, requiredKeyUsage: ['digitalSignature'], revocation: services.signerRevocation.checker },
      },
    });
    const certRaFrontEnd: CertRaFrontEndDependencies = {
      certRa: services.certRa,
      authenticator,
      clock,
      publicBaseUrl: config.publicUrl ?? config.caPublicationUrl,
    };
    // One authentication for both REST APIs (/etee/v1 and its older twin /etkdepot/v1): bearer tokens of OAUTH_ISSUER.
    const restAuthenticator = new BearerTokenAuthenticator({
      ...config.oauth,
      allowAnonymous: config.restAnonymous,
      clockSkewSeconds: config.clockSkewSeconds,
      withoutIssuer: WITHOUT_TOKEN_ISSUER,
    });
    const etkDepotFrontEnd: EtkDepotFrontEndDependencies = {
      directory: services.etkDirectory,
      wsSecurity: new WsSecurityGate({
        clock,
        trust: trust.wsSecurity,
        revocation: services.signerRevocation.checker,
        clockSkewSeconds: config.clockSkewSeconds,
        requireSignature: config.etkDepotRequireSignature,
      }),
      responseSigner: config.signResponses
        ? responseSigner(
            await openResponseSigningCredential({
              keyFile: config.serverSigningKeyFile,
              certificateFile: config.serverSigningCertFile,
              environment: config.environment,
              db,
              issuer: services.issuer,
              clock,
            }),
            clock,
          )
        : undefined,
      logger,
    };
    // Caches serve nothing until LISTEN is established; a failure to LISTEN is logged and leaves lookups uncached.
    await Promise.all([services.etkDirectory.start(), services.signerRevocation.start(), services.ocsp.start()]);
    services.auditChain.start(config.auditSealIntervalSeconds * 1000, (error) => logger.warn({ err: error }, 'audit: sealing failed, retried next interval'));
    await startReminders(services);
    const app = await buildApp({
      config,
      logger,
      soapServices: [
        createCertRaSoapService(certRaFrontEnd),
        createEtkRaSoapService({ registration: services.etkRegistration, authenticator, clock }),
        createEtkDepotSoapService(etkDepotFrontEnd),
        ...(services.kgss
          ? [
              createKgssSoapService({
                kgss: services.kgss,
                wsSecurity: new WsSecurityGate({
                  clock,
                  trust: trust.wsSecurity,
                  revocation: services.signerRevocation.checker,
                  clockSkewSeconds: config.clockSkewSeconds,
                  requireSignature: false,
                }),
                saml: {
                  stsCertificates: pemFiles(config.kgssStsCertificateFiles).flatMap(certificatesFrom),
                  clock,
                  clockSkewSeconds: config.clockSkewSeconds,
                },
                contentValidator: compileKgssContentValidator(projectPaths.xsd()),
                logger,
              }),
            ]
          : []),
      ],
      documents: new ContractDocuments(projectPaths.wsdl(), projectPaths.xsd()),
      requestValidator: compileEnvelopeValidator(projectPaths.xsd()),
      checkHealth: () => services.checkHealth(),
      serviceMetrics: [services.metricsRegistry],
      registerRoutes: async (scope) => {
        await publicationRoutes(scope, { ca, crls: services.crls });
        await scope.register(async (ocspScope) => ocspRoutes(ocspScope, { responder: services.ocsp }));
        if (services.trustLists.enabled) await trustListRoutes(scope, { publisher: services.trustLists });
        await etkDepotRestRoutes(scope, etkDepotFrontEnd, restAuthenticator);
        await eteeRestRoutes(scope, { directory: services.etkDirectory, authenticator: restAuthenticator });
        await certRaRoutes(scope, certRaFrontEnd);
      },
    });
    const adminApp = await createAdminApp(services);
    let closed = false;
    return {
      app,
      adminApp,
      services,
      async close() {
        if (closed) return;
        closed = true;
        await Promise.all([app.close(), adminApp?.close()]);
        await services.close();
      },
    };
  } catch (error) {
    await services.close();
    throw error;
  }
}

/**
 * The admin listener's app: its TLS credential (ADMIN_TLS_CERT_FILE/KEY_FILE, or in development one our CA issues for
 * ADMIN_TLS_NAMES into DATA_DIR/admin), officers trusted through our CA and ADMIN_OFFICER_CA_FILES. In development
 * the first start without any officer mints an admin credential and says where it is.
 */
async function createAdminApp(services: PlatformServices): Promise<FastifyInstance | undefined> {
  const { config, logger, admin, ca } = services;
  if (config.admin.port === undefined) return undefined;
  const development = config.environment !== 'production';
  let credential: { certificatePem: string; privateKeyPem: string };
  if (config.admin.tlsCertFile && config.admin.tlsKeyFile) {
    credential = { certificatePem: readFileSync(config.admin.tlsCertFile, 'utf8'), privateKeyPem: readFileSync(config.admin.tlsKeyFile, 'utf8') };
  } else if (development) {
    credential = await developmentListenerCredential(services);
  } else {
    logger.warn('no admin listener: production needs ADMIN_TLS_CERT_FILE and ADMIN_TLS_KEY_FILE (or ADMIN_PORT=off to silence this)');
    return undefined;
  }
  if (development) {
    const minted = await mintDevelopmentOfficer(services);
    if (minted)
      logger.warn(
        { directory: minted },
        `admin: development officer credential (role admin) written to ${minted}: use it as the client certificate of the console and the CLI`,
      );
  }
  const officerTrustPem = [...[ca.root.cert, ...ca.issuingChain].map((der) => toPem(der, 'CERTIFICATE')), ...pemFiles(config.admin.officerCaFiles)];
  return buildAdminApp({
    logger,
    admin,
    certRa: services.certRa,
    development,
    tls: { ...credential, passphrase: process.env.ADMIN_TLS_KEY_PASSPHRASE, officerTrustPem },
    metrics: createAdminMetrics(services.metricsRegistry),
    settings: () => publicSettings(config),
  });
}

/** DATA_DIR/admin/listener.*.pem, issued by our CA on first use (and again when it nears its end or the names change). */
async function developmentListenerCredential(services: PlatformServices): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const directory = join(services.config.dataDir, 'admin');
  const certificateFile = join(directory, 'listener.cert.pem');
  const keyFile = join(directory, 'listener.key.pem');
  const names = {
    dns: services.config.admin.tlsNames.filter((name) => isIP(name) === 0).map((name) => name.toLowerCase()),
    ip: services.config.admin.tlsNames.filter((name) => isIP(name) !== 0),
  };
  if (existsSync(certificateFile) && existsSync(keyFile)) {
    const certificatePem = readFileSync(certificateFile, 'utf8');
    const privateKeyPem = readFileSync(keyFile, 'utf8');
    const certificate = new X509Certificate(certificatePem);
    const stillGood = new Date(certificate.validTo).getTime() - services.clock.now().getTime() > 7 * 86_400_000;
    const sameNames = [...names.dns.map((n) => `DNS:${n}`), ...names.ip.map((n) => `IP Address:${n}`)].join(', ') === certificate.subjectAltName;
    // Workers starting together may each have written a pair: use the files only when key and certificate match.
    if (stillGood && sameNames && certificate.checkPrivateKey(createPrivateKey(privateKeyPem))) {
      return { certificatePem: certificatePem + services.admin.chainPem(), privateKeyPem };
    }
  }
  const issued = await services.admin.issueListenerCertificate(names);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  writeFileAtomically(keyFile, issued.privateKeyPem, 0o600);
  writeFileAtomically(certificateFile, issued.certificatePem);
  writeFileAtomically(join(directory, 'ca-chain.pem'), issued.chainPem);
  return { certificatePem: issued.certificatePem + issued.chainPem, privateKeyPem: issued.privateKeyPem };
}

/** A reader sees the old file or the new one, never half of one (rename within the directory). */
function writeFileAtomically(file: string, content: string, mode = 0o644): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode });
  renameSync(temporary, file);
}

/** Development: the first admin credential, in DATA_DIR/admin/officer, when no officer exists yet. */
async function mintDevelopmentOfficer(services: PlatformServices): Promise<string | undefined> {
  const credential = await services.admin.issueOfficerCredential({ name: 'Development officer', role: 'admin' }, 'development start-up', {
    onlyIfNoOfficer: true,
  });
  if (!credential) return undefined;
  const directory = join(services.config.dataDir, 'admin', 'officer');
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  writeFileSync(join(directory, 'officer.key.pem'), credential.privateKeyPem, { mode: 0o600 });
  writeFileSync(join(directory, 'officer.cert.pem'), credential.certificatePem);
  writeFileSync(join(directory, 'ca-chain.pem'), credential.chainPem);
  return directory;
}

/**
 * The hot standby lookups read from, measured before the first lookup and LISTENing for invalidations on the primary
 * before any cache does. Its pool gives up on a silent standby quickly: lookups then go to the primary.
 */
async function openReadRouter(config: Config, readUrl: string, primary: Database, logger: Logger, registry: Registry): Promise<ReadRouter> {
  const maxStalenessMs = config.replicaMaxStalenessMs;
  const timeoutMs = Math.max(1_000, maxStalenessMs);
  const replica = openPostgres(readUrl, {
    connectionTimeoutMillis: timeoutMs,
    queryTimeoutMillis: 5 * timeoutMs,
    preparedStatements: config.databasePreparedStatements,
  });
  const where = { replica: describeDatabaseUrl(readUrl), maxStalenessMs };
  const metrics = createReplicaMetrics(registry, () => router.lagMs());
  const router: ReadRouter = new ReadRouter({
    primary,
    replica,
    maxStalenessMs,
    observer: {
      servedByReplica: () => metrics.replicaQueries.inc(),
      fellBack: (reason) => metrics.fallbacks.inc({ reason }),
      replicaStateChanged: (unusable, detail) => {
        if (unusable) logger.warn({ ...where, reason: unusable, detail }, 'lookups read the primary: the standby is not usable');
        else logger.info({ ...where, detail }, 'lookups read the standby');
      },
    },
  });
  try {
    await router.start();
  } catch (error) {
    await router.close().catch(() => undefined);
    throw error;
  }
  return router;
}

/**
 * The KGSS when it has keys: the key references (KGSS_AUTHENTICATION_KEY, …: files or PKCS#11), KGSS_KEY_DIR, or in
 * development DATA_DIR/ca/kgss; none without any.
 */
async function createKgss(
  config: Config,
  logger: Logger,
  deps: KgssIdentityDependencies,
  /** Senders' statuses: the registry's, cached until any revocation is notified (as for ETKDepot's signers). */
  revocation: RevocationChecker,
): Promise<KgssService | undefined> {
  let source: KgssKeySource;
  const references = config.kgssKeyReferences;
  if (references) {
    source = {
      kind: 'references',
      authentication: parseKeyReference(references.authentication),
      encryption: parseKeyReference(references.encryption),
      kek: parseKeyReference(references.kek),
    };
  } else if (config.kgssKeyDirectory) source = { kind: 'directory', directory: config.kgssKeyDirectory, passphrase: process.env.KGSS_KEY_PASSPHRASE ?? '' };
  else if (deps.ca.development) source = await developmentKgssKeySource(config.dataDir);
  else {
    logger.warn('no KGSS keys (KGSS_AUTHENTICATION_KEY/KGSS_ENCRYPTION_KEY/KGSS_KEK or KGSS_KEY_DIR): /Kgss/v1 is not served');
    return undefined;
  }
  const identity = await loadKgssIdentity(source, deps);
  return new KgssService({
    db: deps.db,
    clock: deps.clock,
    ca: deps.ca,
    identity,
    trust: new TrustStore({ anchors: [deps.ca.root.cert], intermediates: deps.ca.issuingChain }),
    revocation,
  });
}

/** The reminder channels the configuration enables: e-mail with SMTP_URL, the webhook with REMINDER_WEBHOOK_URL. */
function createReminderChannels(config: Config): ReminderChannels {
  const { smtpUrl, from, webhookUrl, webhookSecret } = config.reminders;
  return {
    mailer: smtpUrl ? new SmtpMailer({ url: smtpUrl, sender: from }) : undefined,
    webhook: webhookUrl && webhookSecret ? new WebhookSender({ url: webhookUrl, secret: webhookSecret }) : undefined,
  };
}

/** What must never appear in a stored or logged error text: the SMTP password and the webhook secret. */
function reminderSecrets(config: Config): string[] {
  const secrets: string[] = [];
  if (config.reminders.smtpUrl) {
    const password = new URL(config.reminders.smtpUrl).password;
    if (password) secrets.push(password, decodeURIComponent(password));
  }
  if (config.reminders.webhookSecret) secrets.push(config.reminders.webhookSecret);
  return secrets;
}

/** SMTP_URL as it may be logged: scheme, host and port (no user, no password). */
export function describeSmtpUrl(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  return `${url.protocol}//${url.host}`;
}

/**
 * Starts the reminder schedule in this process (REMINDER_INTERVAL_SECONDS, 0 = never: a separate `npm run worker`
 * runs them), after checking the mail templates so that a broken one stops the start rather than the mails.
 */
async function startReminders(services: PlatformServices): Promise<void> {
  const { config, logger, reminders } = services;
  if (!reminders.enabled) {
    logger.info('reminders: no channel configured (SMTP_URL, REMINDER_WEBHOOK_URL): no expiry reminder is sent');
    return;
  }
  if (config.reminders.smtpUrl) await reminders.loadTemplates();
  const where = {
    ...(config.reminders.smtpUrl ? { smtp: describeSmtpUrl(config.reminders.smtpUrl) } : {}),
    ...(config.reminders.webhookUrl ? { webhook: new URL(config.reminders.webhookUrl).origin } : {}),
    nagDays: config.reminders.nagDays,
  };
  if (config.reminders.intervalSeconds === 0) {
    logger.info(where, 'reminders: not run in the service (REMINDER_INTERVAL_SECONDS=0): run `npm run worker`');
    return;
  }
  reminders.start(config.reminders.intervalSeconds * 1000);
  logger.info({ ...where, intervalSeconds: config.reminders.intervalSeconds }, 'reminders: running in the service');
}

/** The audit checkpoint key: AUDIT_KEY, else the development hierarchy's audit key, else none. */
async function openAuditSigner(config: Config, ca: CaMaterial): Promise<ClosableKeySigner | undefined> {
  if (config.auditKey) return openKeySigner(parseKeyReference(config.auditKey));
  if (ca.development) return openKeySigner(await ensureDevAuditKey(config.dataDir));
  return undefined;
}

/** Trust anchors bound to the role a signature plays (docs/wire-facts.md §4). */
interface TrustStores {
  /** eID Signature CAs: generateCertificate, revoke. */
  readonly eidSignature: TrustStore;
  /** eID Authentication CAs: getActorQualities, getCertificateInfoForCitizen. */
  readonly eidAuthentication: TrustStore;
  /** Our own eHealth hierarchy: getCertificateInfoForAuthenticationCertificate and all of EtkRA. */
  readonly ehealth: TrustStore;
  /** WS-Security signers on ETKDepot: configured anchors plus our own hierarchy. */
  readonly wsSecurity: TrustStore;
}

const pemFiles = (files: readonly string[]) => files.map((file) => readFileSync(file, 'utf8'));

/** The eID CAs citizens sign with (configured; in development the test citizen CA stands in for them), as DER. */
function eidCaCertificates(config: Config, ca: CaMaterial): Buffer[] {
  const citizen = ca.citizenCa ? [ca.citizenCa.cert] : [];
  return [...pemFiles([...config.eidSignatureCaFiles, ...config.eidAuthenticationCaFiles]).flatMap(certificatesFrom), ...citizen];
}

function buildTrustStores(config: Config, ca: CaMaterial): TrustStores {
  const pem = pemFiles;
  // In development the test citizen CA stands in for the Belgian eID CAs.
  const citizen = ca.citizenCa ? [ca.citizenCa.cert] : [];
  const eidSignature = [...pem(config.eidSignatureCaFiles), ...citizen];
  const eidAuthentication = [...pem(config.eidAuthenticationCaFiles), ...citizen];
  if (eidSignature.length === 0 || eidAuthentication.length === 0) {
    throw new Error('no eID CA configured: set EID_SIGNATURE_CA_FILES and EID_AUTHENTICATION_CA_FILES');
  }
  return {
    eidSignature: new TrustStore({ anchors: eidSignature }),
    eidAuthentication: new TrustStore({ anchors: eidAuthentication }),
    ehealth: new TrustStore({ anchors: [ca.root.cert], intermediates: ca.issuingChain }),
    wsSecurity: new TrustStore({ anchors: [ca.root.cert, ...pem(config.wssTrustAnchorFiles)], intermediates: ca.issuingChain }),
  };
}
