import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { ENVIRONMENTS, isEnvironment, type Environment } from '../domain/environment.js';

export type { Environment };

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Base URL clients use to reach us (WSDL addresses); derived from the request's Host header when unset. */
  readonly publicUrl: string | undefined;
  readonly databaseUrl: string | undefined;
  /**
   * DATABASE_READ_URL: a hot standby of DATABASE_URL (one server) that lookups read from: GetEtk and REST, OCSP and
   * signer statuses, trusted lists. May hold a password: log only its host and port.
   */
  readonly databaseReadUrl: string | undefined;
  /** REPLICA_MAX_STALENESS_MS: lookups read the primary whenever the standby's measured staleness exceeds this. */
  readonly replicaMaxStalenessMs: number;
  /**
   * DATABASE_PREPARED_STATEMENTS (default true): PostgreSQL parses and plans each statement once per connection. Off
   * behind a pooler that cannot carry prepared statements (PgBouncer before 1.21 in transaction mode).
   */
  readonly databasePreparedStatements: boolean;
  readonly dataDir: string;
  /** Key of the audit checkpoints (AUDIT_KEY: file:… or pkcs11:… key reference); none: the development key, else unsigned. */
  readonly auditKey: string | undefined;
  /** A signed checkpoint after this many audit records (AUDIT_CHECKPOINT_EVERY_RECORDS). */
  readonly auditCheckpointEveryRecords: number;
  /** …or when the last checkpoint is this old and records followed it (AUDIT_CHECKPOINT_EVERY_MINUTES). */
  readonly auditCheckpointEveryMinutes: number;
  /** How often the server chains committed audit records (AUDIT_SEAL_INTERVAL_SECONDS). */
  readonly auditSealIntervalSeconds: number;
  readonly logLevel: string;
  readonly environment: Environment;
  readonly bodyLimitBytes: number;
  readonly xmlMaxDepth: number;
  /** Most attributes (namespace declarations included) on one element of a request. */
  readonly xmlMaxAttributesPerElement: number;
  /** Most attributes (namespace declarations included) in one request. */
  readonly xmlMaxAttributes: number;
  /** Most namespace declarations in one request. */
  readonly xmlMaxNamespaceDeclarations: number;
  /** Accepted distance between a request's IssueInstant / Timestamp and our clock. */
  readonly clockSkewSeconds: number;
  /** PEM files of the eID Signature / Authentication CAs (development: the test citizen CA is added). */
  readonly eidSignatureCaFiles: readonly string[];
  readonly eidAuthenticationCaFiles: readonly string[];
  /** PEM files of CAs trusted for WS-Security signatures on ETKDepot (our issuing CA is always trusted). */
  readonly wssTrustAnchorFiles: readonly string[];
  readonly etkDepotRequireSignature: boolean;
  /**
   * Bearer tokens on the REST APIs (/etee/v1, /etkdepot/v1): OAUTH_ISSUER (the tokens' `iss`), OAUTH_JWKS_URL (its
   * keys; default Keycloak's `<issuer>/protocol/openid-connect/certs`), OAUTH_AUDIENCE (an `aud` required when set).
   */
  readonly oauth: {
    readonly issuer: string | undefined;
    readonly jwksUrl: string | undefined;
    readonly audience: string | undefined;
    /** OAUTH_JWKS_COOLDOWN_SECONDS: an unknown `kid` refetches the issuer's keys at most this often. */
    readonly jwksCooldownSeconds: number;
  };
  /** METRICS_TOKEN: /metrics is served to its bearer only (in production, without it, to nobody). */
  readonly metricsToken: string | undefined;
  /** ETEE_REST_ANONYMOUS: REST requests without a token are served (default: in acceptance, unless ETKDEPOT_REQUIRE_SIGNATURE). */
  readonly restAnonymous: boolean;
  /** Sign ETKDepot responses with WS-Security (no mustUnderstand), with the server signing credential. */
  readonly signResponses: boolean;
  /**
   * PEM files of the response signing credential (SERVER_SIGNING_KEY_FILE: encrypted PKCS#8, passphrase in the
   * environment variable SERVER_SIGNING_KEY_PASSPHRASE; SERVER_SIGNING_CERT_FILE: the certificate). Unset: each process
   * issues itself a certificate from the issuing CA at start-up when SIGN_RESPONSES is on.
   */
  readonly serverSigningKeyFile: string | undefined;
  readonly serverSigningCertFile: string | undefined;
  /** Lifetime of an EtkRA registration challenge (startETKRegistration → completeETKRegistration). */
  readonly etkChallengeTtlSeconds: number;
  /** In-process ETKDepot cache (kept coherent across processes by LISTEN/NOTIFY); off = every lookup reads the database. */
  readonly etkDepotCache: boolean;
  /** Identifiers kept (each holds its ETKs' DER, about 6 KB, outside the JavaScript heap). */
  readonly etkDepotCacheEntries: number;
  /** Upper bound on the age of a cached entry, a backstop should notifications ever be lost. */
  readonly etkDepotCacheMaxAgeSeconds: number;
  /** Lifetime of the delegated OCSP responder certificates the service issues itself (OCSP_RESPONDER_VALIDITY_DAYS). */
  readonly ocspResponderValidityDays: number;
  /** A responder certificate is replaced when less than this remains (OCSP_RESPONDER_RENEW_BEFORE_DAYS). */
  readonly ocspResponderRenewBeforeDays: number;
  /** NextUpdate of a trusted list = its issue + this (TSL_VALIDITY_DAYS). */
  readonly tslValidityDays: number;
  /** An unchanged trusted list is re-issued (higher sequence number) this long after its last edition (TSL_REISSUE_DAYS). */
  readonly tslReissueDays: number;
  /** The scheme operator named in the lists (TSL_OPERATOR_*). */
  readonly tslOperator: {
    readonly name: string;
    readonly street: string;
    readonly postalCode: string;
    readonly locality: string;
    readonly countryName: string;
    readonly email: string;
  };
  /** PEM of a time-stamping authority to publish in the application list (the connector's TSA truststore). */
  readonly tslTsaCertFile: string | undefined;
  /**
   * KGSS_KEY_DIR: the KGSS's keys (authentication, encryption, key-encryption key; encrypted PKCS#8, created when
   * absent) under KGSS_KEY_PASSPHRASE. Development: DATA_DIR/ca/kgss under the development passphrase. Unset outside
   * development: no KGSS.
   */
  readonly kgssKeyDirectory: string | undefined;
  /**
   * KGSS_AUTHENTICATION_KEY, KGSS_ENCRYPTION_KEY, KGSS_KEK: key references (pkcs11:…, file:…, JSON, as in the CA
   * config) of existing KGSS keys, e.g. on the CA's HSM (`ca:init` creates them); all three or none, not with KGSS_KEY_DIR.
   */
  readonly kgssKeyReferences: { readonly authentication: string; readonly encryption: string; readonly kek: string } | undefined;
  /** KGSS_STS_CERT_FILES: PEM files of the STS certificates whose SAML holder-of-key assertions KGSS GetKey accepts. */
  readonly kgssStsCertificateFiles: readonly string[];
  /** Server processes on one port (WORKERS; default: the cores in production on PostgreSQL, else 1); more than 1 needs PostgreSQL. */
  readonly workers: number;
  /** JSON file describing the CA certificates and key references (required in production). */
  readonly caConfigFile: string | undefined;
  /** Plain-http base URL written into certificates for CRLs and CA certificates (CA_PUBLICATION_URL). */
  readonly caPublicationUrl: string;
  readonly shutdownGraceMs: number;
  /**
   * CertRA validation (CERTRA_AUTOMATIC_VALIDATION): 'on-file' validates automatically what rests on a registration
   * (acceptance: a test case; production: the signer's own SSIN or a registered mandate), 'manual' queues every request.
   */
  readonly certraAutomaticValidation: 'on-file' | 'manual';
  /** Expiry reminders by e-mail and webhook (SMTP_URL, REMINDER_*). Holds secrets: never log it. */
  readonly reminders: ReminderConfig;
  /** The admin listener (ADMIN_*): officers' API and console over TLS with client certificates. */
  readonly admin: AdminConfig;
}

export interface AdminConfig {
  /** ADMIN_PORT (default 8443; 0: any free port; `off`: no admin listener). */
  readonly port: number | undefined;
  /** ADMIN_HOST (default 127.0.0.1: reachable from this machine only). */
  readonly host: string;
  /** ADMIN_TLS_CERT_FILE / ADMIN_TLS_KEY_FILE: the listener's TLS credential (PEM); development issues one from our CA. */
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** ADMIN_TLS_NAMES: the host names and IP addresses of the development TLS certificate (default localhost,127.0.0.1). */
  readonly tlsNames: readonly string[];
  /** ADMIN_OFFICER_CA_FILES: PEM files of further CAs whose client certificates may be registered as officers. */
  readonly officerCaFiles: readonly string[];
  /** ADMIN_DUAL_CONTROL: revocations and foreigners' approvals wait for a second officer's confirmation. */
  readonly dualControl: boolean;
}

export interface ReminderConfig {
  /** SMTP_URL (nodemailer URL, may hold a password): e-mail reminders; unset = no e-mail. */
  readonly smtpUrl: string | undefined;
  /** REMINDER_FROM: the From of the mails (required in production with SMTP_URL). */
  readonly from: string;
  /** REMINDER_TEMPLATE_DIR: the operator's copies of the mail templates, which win over templates/reminders/. */
  readonly templateDir: string | undefined;
  /** REMINDER_WEBHOOK_URL: JSON reminders POSTed there, signed with REMINDER_WEBHOOK_SECRET (HMAC-SHA256). */
  readonly webhookUrl: string | undefined;
  readonly webhookSecret: string | undefined;
  /** REMINDER_NAG_DAYS: days before the end at which a certificate is reminded (90,30,7,1). */
  readonly nagDays: readonly number[];
  /** REMINDER_INTERVAL_SECONDS: how often the service runs the job; 0 = never in the service (run by `npm run worker`). */
  readonly intervalSeconds: number;
  /** REMINDER_BATCH_LIMIT: certificates planned, and messages delivered, per run at most. */
  readonly batchLimit: number;
  /** REMINDER_PARALLEL_SENDS: messages sent at the same time. */
  readonly parallelSends: number;
  /** REMINDER_DEFAULT_LANGUAGE: the language of a contact whose language is not recorded (`all`: fr, nl and en in one mail). */
  readonly defaultLanguage: 'fr' | 'nl' | 'en' | 'all';
  /** REMINDER_RETRY_BASE_SECONDS / REMINDER_RETRY_MAX_SECONDS: back-off after a failed send, doubling from base up to max. */
  readonly retryBaseSeconds: number;
  readonly retryMaxSeconds: number;
}

type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads the environment, applies defaults, validates, and freezes. */
export function loadConfig(env: Env = process.env): Config {
  const environment = (env.ENVIRONMENT ?? 'acceptance').toLowerCase();
  if (!isEnvironment(environment)) {
    throw new ConfigError(`ENVIRONMENT must be ${ENVIRONMENTS.join(' or ')}, got ${environment}`);
  }
  const config: Config = {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: env.HOST ?? '0.0.0.0',
    publicUrl: env.PUBLIC_URL ? env.PUBLIC_URL.replace(/\/+$/, '') : undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    databaseReadUrl: env.DATABASE_READ_URL || undefined,
    replicaMaxStalenessMs: integer(env, 'REPLICA_MAX_STALENESS_MS', 1000, 100, 600_000),
    databasePreparedStatements: boolean(env, 'DATABASE_PREPARED_STATEMENTS', true),
    dataDir: resolve(env.DATA_DIR ?? './data'),
    logLevel: env.LOG_LEVEL ?? 'info',
    environment,
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    xmlMaxDepth: integer(env, 'XML_MAX_DEPTH', 64, 8, 1024),
    xmlMaxAttributesPerElement: integer(env, 'XML_MAX_ATTRIBUTES_PER_ELEMENT', 256, 8, 4096),
    xmlMaxAttributes: integer(env, 'XML_MAX_ATTRIBUTES', 4096, 64, 100_000),
    xmlMaxNamespaceDeclarations: integer(env, 'XML_MAX_NAMESPACE_DECLARATIONS', 1024, 16, 100_000),
    clockSkewSeconds: integer(env, 'CLOCK_SKEW_SECONDS', 300, 0, 86_400),
    eidSignatureCaFiles: list(env.EID_SIGNATURE_CA_FILES),
    eidAuthenticationCaFiles: list(env.EID_AUTHENTICATION_CA_FILES),
    wssTrustAnchorFiles: list(env.WSS_TRUST_ANCHOR_FILES),
    etkDepotRequireSignature: boolean(env, 'ETKDEPOT_REQUIRE_SIGNATURE', false),
    oauth: oauthConfig(env),
    metricsToken: env.METRICS_TOKEN || undefined,
    restAnonymous: boolean(env, 'ETEE_REST_ANONYMOUS', environment === 'acceptance' && !boolean(env, 'ETKDEPOT_REQUIRE_SIGNATURE', false)),
    signResponses: boolean(env, 'SIGN_RESPONSES', false),
    serverSigningKeyFile: env.SERVER_SIGNING_KEY_FILE || undefined,
    serverSigningCertFile: env.SERVER_SIGNING_CERT_FILE || undefined,
    etkChallengeTtlSeconds: integer(env, 'ETKRA_CHALLENGE_TTL_SECONDS', 600, 10, 86_400),
    etkDepotCache: boolean(env, 'ETKDEPOT_CACHE', true),
    etkDepotCacheEntries: integer(env, 'ETKDEPOT_CACHE_ENTRIES', 20_000, 1, 10_000_000),
    etkDepotCacheMaxAgeSeconds: integer(env, 'ETKDEPOT_CACHE_MAX_AGE_SECONDS', 300, 1, 86_400),
    ocspResponderValidityDays: integer(env, 'OCSP_RESPONDER_VALIDITY_DAYS', 7, 2, 365),
    ocspResponderRenewBeforeDays: integer(env, 'OCSP_RESPONDER_RENEW_BEFORE_DAYS', 2, 1, 364),
    tslValidityDays: integer(env, 'TSL_VALIDITY_DAYS', 14, 1, 366),
    tslReissueDays: integer(env, 'TSL_REISSUE_DAYS', 7, 1, 365),
    tslOperator: {
      name: env.TSL_OPERATOR_NAME || 'eHealth certificate platform',
      street: env.TSL_OPERATOR_STREET || 'unknown street',
      postalCode: env.TSL_OPERATOR_POSTAL_CODE || '0000',
      locality: env.TSL_OPERATOR_LOCALITY || 'unknown locality',
      countryName: env.TSL_OPERATOR_COUNTRY || 'BE',
      email: env.TSL_OPERATOR_EMAIL || 'pki@localhost',
    },
    tslTsaCertFile: env.TSL_TSA_CERT_FILE || undefined,
    kgssKeyDirectory: env.KGSS_KEY_DIR ? resolve(env.KGSS_KEY_DIR) : undefined,
    kgssKeyReferences:
      env.KGSS_AUTHENTICATION_KEY && env.KGSS_ENCRYPTION_KEY && env.KGSS_KEK
        ? { authentication: env.KGSS_AUTHENTICATION_KEY, encryption: env.KGSS_ENCRYPTION_KEY, kek: env.KGSS_KEK }
        : undefined,
    kgssStsCertificateFiles: list(env.KGSS_STS_CERT_FILES),
    // Production on PostgreSQL uses every core by default; the embedded PGlite allows one process.
    workers: integer(env, 'WORKERS', environment === 'production' && env.DATABASE_URL ? availableParallelism() : 1, 1, 256),
    caConfigFile: env.CA_CONFIG_FILE || undefined,
    caPublicationUrl: (env.CA_PUBLICATION_URL || `http://localhost:${env.PORT && env.PORT !== '0' ? env.PORT : '8080'}`).replace(/\/+$/, ''),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    certraAutomaticValidation: oneOf(env, 'CERTRA_AUTOMATIC_VALIDATION', ['on-file', 'manual'] as const, 'on-file'),
    auditKey: env.AUDIT_KEY || undefined,
    auditCheckpointEveryRecords: integer(env, 'AUDIT_CHECKPOINT_EVERY_RECORDS', 1000, 1, 10_000_000),
    auditCheckpointEveryMinutes: integer(env, 'AUDIT_CHECKPOINT_EVERY_MINUTES', 60, 1, 7 * 24 * 60),
    auditSealIntervalSeconds: integer(env, 'AUDIT_SEAL_INTERVAL_SECONDS', 5, 1, 3600),
    reminders: reminderConfig(env, environment),
    admin: adminConfig(env),
  };
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    throw new ConfigError(`LOG_LEVEL ${config.logLevel} is not a pino level`);
  }
  if (config.publicUrl && !/^https?:\/\/[^/]+(\/.*)?$/.test(config.publicUrl)) {
    throw new ConfigError('PUBLIC_URL must be an absolute http(s) URL');
  }
  if ((config.serverSigningKeyFile === undefined) !== (config.serverSigningCertFile === undefined)) {
    throw new ConfigError('SERVER_SIGNING_KEY_FILE and SERVER_SIGNING_CERT_FILE go together');
  }
  // A client must never hold a list past its NextUpdate before the next edition exists.
  const kgssReferences = [env.KGSS_AUTHENTICATION_KEY, env.KGSS_ENCRYPTION_KEY, env.KGSS_KEK].filter(Boolean).length;
  if (kgssReferences > 0 && config.kgssKeyReferences === undefined) {
    throw new ConfigError('KGSS_AUTHENTICATION_KEY, KGSS_ENCRYPTION_KEY and KGSS_KEK go together: set all three key references');
  }
  if (config.kgssKeyReferences !== undefined && config.kgssKeyDirectory !== undefined) {
    throw new ConfigError('KGSS_KEY_DIR and the KGSS key references (KGSS_AUTHENTICATION_KEY, …) exclude each other: choose one custody');
  }
  if (config.kgssKeyDirectory !== undefined && (env.KGSS_KEY_PASSPHRASE ?? '').length < 16) {
    throw new ConfigError('KGSS_KEY_DIR needs KGSS_KEY_PASSPHRASE (at least 16 characters): the passphrase of the KGSS key files');
  }
  if (config.tslReissueDays >= config.tslValidityDays) throw new ConfigError('TSL_REISSUE_DAYS must be less than TSL_VALIDITY_DAYS');
  if (config.workers > 1 && !config.databaseUrl) {
    throw new ConfigError(
      `WORKERS=${config.workers} needs DATABASE_URL: the embedded PGlite cannot be shared between processes (set WORKERS=1, or use PostgreSQL)`,
    );
  }
  if (config.metricsToken !== undefined && config.metricsToken.length < 16) throw new ConfigError('METRICS_TOKEN must be at least 16 characters');
  if (config.restAnonymous && config.etkDepotRequireSignature) {
    throw new ConfigError('ETEE_REST_ANONYMOUS=true contradicts ETKDEPOT_REQUIRE_SIGNATURE=true: anonymous lookups are refused');
  }
  if (config.databaseReadUrl !== undefined) {
    if (!config.databaseUrl) {
      throw new ConfigError('DATABASE_READ_URL needs DATABASE_URL: the standby serves lookups, the primary (DATABASE_URL) everything else');
    }
    // The message does not repeat the URL: it may hold a password.
    if (!isPostgresUrl(config.databaseReadUrl)) throw new ConfigError('DATABASE_READ_URL must be postgres://[user[:password]@]host[:port]/database');
  } else if (env.REPLICA_MAX_STALENESS_MS) {
    throw new ConfigError('REPLICA_MAX_STALENESS_MS is set without DATABASE_READ_URL');
  }
  // A response lasts one CRL period (a day): the responder certificate must outlive the responses it signs.
  if (config.ocspResponderRenewBeforeDays >= config.ocspResponderValidityDays) {
    throw new ConfigError('OCSP_RESPONDER_RENEW_BEFORE_DAYS must be less than OCSP_RESPONDER_VALIDITY_DAYS');
  }
  if (!/^http:\/\/[^/]+$/.test(config.caPublicationUrl)) {
    throw new ConfigError('CA_PUBLICATION_URL must be a plain http base URL (CRL distribution points are fetched over http)');
  }
  return Object.freeze(config);
}

/**
 * The settings an admin may read on the admin listener: what the platform runs with, never a secret (a password,
 * token or key is only said to be set) nor a URL that may carry one (only its host).
 */
export function publicSettings(config: Config): Record<string, unknown> {
  const host = (url: string | undefined) => {
    if (!url) return null;
    try {
      const parsed = new URL(url);
      return `${parsed.protocol}//${parsed.host}`;
    } catch {
      return 'set';
    }
  };
  return {
    environment: config.environment,
    port: config.port,
    publicUrl: config.publicUrl ?? null,
    database: config.databaseUrl ? host(config.databaseUrl) : `embedded PGlite in ${config.dataDir}`,
    readReplica: host(config.databaseReadUrl),
    replicaMaxStalenessMs: config.replicaMaxStalenessMs,
    workers: config.workers,
    caConfigFile: config.caConfigFile ?? null,
    caPublicationUrl: config.caPublicationUrl,
    certraAutomaticValidation: config.certraAutomaticValidation,
    etkDepotRequireSignature: config.etkDepotRequireSignature,
    signResponses: config.signResponses,
    restAnonymous: config.restAnonymous,
    oauthIssuer: config.oauth.issuer ?? null,
    metricsToken: config.metricsToken ? 'set' : 'not set',
    auditKey: config.auditKey ? 'set' : 'development or none',
    auditCheckpointEveryRecords: config.auditCheckpointEveryRecords,
    auditCheckpointEveryMinutes: config.auditCheckpointEveryMinutes,
    reminders: {
      smtp: host(config.reminders.smtpUrl),
      webhook: host(config.reminders.webhookUrl),
      nagDays: config.reminders.nagDays,
      intervalSeconds: config.reminders.intervalSeconds,
    },
    admin: {
      host: config.admin.host,
      port: config.admin.port ?? 'off',
      tlsCertFile: config.admin.tlsCertFile ?? 'development certificate',
      officerCaFiles: config.admin.officerCaFiles,
      dualControl: config.admin.dualControl,
    },
  };
}

function adminConfig(env: Env): AdminConfig {
  const tlsCertFile = env.ADMIN_TLS_CERT_FILE || undefined;
  const tlsKeyFile = env.ADMIN_TLS_KEY_FILE || undefined;
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) throw new ConfigError('ADMIN_TLS_CERT_FILE and ADMIN_TLS_KEY_FILE go together');
  const tlsNames = list(env.ADMIN_TLS_NAMES ?? 'localhost,127.0.0.1');
  if (tlsNames.length === 0) throw new ConfigError('ADMIN_TLS_NAMES must name at least one host name or IP address');
  return {
    port: env.ADMIN_PORT === 'off' ? undefined : integer(env, 'ADMIN_PORT', 8443, 0, 65_535),
    host: env.ADMIN_HOST || '127.0.0.1',
    tlsCertFile,
    tlsKeyFile,
    tlsNames,
    officerCaFiles: list(env.ADMIN_OFFICER_CA_FILES),
    dualControl: boolean(env, 'ADMIN_DUAL_CONTROL', false),
  };
}

function reminderConfig(env: Env, environment: Environment): ReminderConfig {
  const smtpUrl = env.SMTP_URL || undefined;
  if (smtpUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(smtpUrl);
    } catch {
      url = undefined;
    }
    // The message names the scheme only: the URL may hold a password.
    if (!url || !['smtp:', 'smtps:'].includes(url.protocol) || !url.hostname) {
      throw new ConfigError('SMTP_URL must be smtp://[user:password@]host[:port] or smtps://… (nodemailer URL)');
    }
  }
  if (smtpUrl !== undefined && environment === 'production' && !env.REMINDER_FROM) {
    throw new ConfigError('REMINDER_FROM is required in production with SMTP_URL (e.g. "eHealth certificates <certificates@example.be>")');
  }
  const from = env.REMINDER_FROM || 'eHealth certificate platform <noreply@localhost>';
  if (!/^[^<>@\s]+@[^<>@\s]+$|<[^<>@\s]+@[^<>@\s]+>$/.test(from.trim()) || /[\r\n]/.test(from)) {
    throw new ConfigError('REMINDER_FROM must be an address, optionally with a name: Name <address@domain>');
  }
  const webhookUrl = env.REMINDER_WEBHOOK_URL || undefined;
  const webhookSecret = env.REMINDER_WEBHOOK_SECRET || undefined;
  if (webhookUrl !== undefined) {
    if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(webhookUrl)) throw new ConfigError('REMINDER_WEBHOOK_URL must be an absolute http(s) URL');
    if (webhookSecret === undefined)
      throw new ConfigError('REMINDER_WEBHOOK_URL needs REMINDER_WEBHOOK_SECRET (the HMAC key the receiver checks signatures with)');
  }
  if (webhookSecret !== undefined && webhookSecret.length < 16) throw new ConfigError('REMINDER_WEBHOOK_SECRET must be at least 16 characters');
  if (webhookSecret !== undefined && webhookUrl === undefined) throw new ConfigError('REMINDER_WEBHOOK_SECRET is set without REMINDER_WEBHOOK_URL');
  const nagDays = (env.REMINDER_NAG_DAYS || '90,30,7,1').split(',').map((day) => day.trim());
  if (nagDays.some((day) => !/^\d+$/.test(day) || Number(day) < 1 || Number(day) > 1100) || new Set(nagDays.map(Number)).size !== nagDays.length) {
    throw new ConfigError('REMINDER_NAG_DAYS must be distinct whole numbers of days between 1 and 1100, comma-separated (e.g. 90,30,7,1)');
  }
  const retryBaseSeconds = integer(env, 'REMINDER_RETRY_BASE_SECONDS', 60, 1, 86_400);
  const retryMaxSeconds = integer(env, 'REMINDER_RETRY_MAX_SECONDS', 3600, 1, 7 * 86_400);
  if (retryMaxSeconds < retryBaseSeconds) throw new ConfigError('REMINDER_RETRY_MAX_SECONDS must not be less than REMINDER_RETRY_BASE_SECONDS');
  return {
    smtpUrl,
    from: from.trim(),
    templateDir: env.REMINDER_TEMPLATE_DIR ? resolve(env.REMINDER_TEMPLATE_DIR) : undefined,
    webhookUrl,
    webhookSecret,
    nagDays: nagDays.map(Number).sort((a, b) => b - a),
    intervalSeconds: integer(env, 'REMINDER_INTERVAL_SECONDS', 300, 0, 86_400),
    batchLimit: integer(env, 'REMINDER_BATCH_LIMIT', 1000, 1, 100_000),
    parallelSends: integer(env, 'REMINDER_PARALLEL_SENDS', 2, 1, 32),
    defaultLanguage: oneOf(env, 'REMINDER_DEFAULT_LANGUAGE', ['fr', 'nl', 'en', 'all'] as const, 'all'),
    retryBaseSeconds,
    retryMaxSeconds,
  };
}

function oauthConfig(env: Env): Config['oauth'] {
  const issuer = env.OAUTH_ISSUER || undefined;
  const audience = env.OAUTH_AUDIENCE || undefined;
  const jwksCooldownSeconds = integer(env, 'OAUTH_JWKS_COOLDOWN_SECONDS', 30, 0, 3600);
  if (issuer === undefined) {
    if (env.OAUTH_JWKS_URL || audience) throw new ConfigError('OAUTH_JWKS_URL and OAUTH_AUDIENCE need OAUTH_ISSUER');
    return { issuer, jwksUrl: undefined, audience, jwksCooldownSeconds };
  }
  const jwksUrl = env.OAUTH_JWKS_URL || `${issuer.replace(/\/+$/, '')}/protocol/openid-connect/certs`;
  for (const [name, value] of [
    ['OAUTH_ISSUER', issuer],
    ['OAUTH_JWKS_URL', jwksUrl],
  ] as const) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError(`${name} must be an http(s) URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`${name} must be an http(s) URL`);
  }
  return { issuer, jwksUrl, audience, jwksCooldownSeconds };
}

function isPostgresUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return ['postgres:', 'postgresql:'].includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got ${raw}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got ${raw}`);
  return raw as T;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got ${raw}`);
}

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(/[,:]/)
    .map((item) => item.trim())
    .filter(Boolean);
}
