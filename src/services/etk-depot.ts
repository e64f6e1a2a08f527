import { EtkDepotSecurity, openResponseSigner, type ResponseSigner } from './etk-depot-security.js';
import { EtkDirectory } from './etk-directory.js';
import type { PlatformContext } from './platform-context.js';

/** What the ETKDepot front ends (SOAP and REST) share in one process: one directory (one cache), one signer. */
export interface EtkDepot {
  readonly directory: EtkDirectory;
  readonly security: EtkDepotSecurity;
  /** SIGN_RESPONSES: the response signer, loaded or issued once; undefined when responses are not signed. */
  responseSigner(): Promise<ResponseSigner> | undefined;
  /** LISTEN for directory changes and prepare the response signer: call before serving (idempotent). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

// Keyed by the platform context, so that the SOAP service and the REST routes of one platform share the depot
// while two platforms in one process (tests) stay independent.
const depots = new WeakMap<PlatformContext, EtkDepot>();

export function etkDepotFor(context: PlatformContext): EtkDepot {
  let depot = depots.get(context);
  if (!depot) {
    depot = createEtkDepot(context);
    depots.set(context, depot);
  }
  return depot;
}

function createEtkDepot(context: PlatformContext): EtkDepot {
  const { config, db, clock, logger } = context;
  const directory = new EtkDirectory({
    db,
    clock,
    cache: config.etkDepotCache,
    maxEntries: config.etkDepotCacheEntries,
    maxAgeSeconds: config.etkDepotCacheMaxAgeSeconds,
    onListenError: (error) => logger.warn({ err: error }, 'ETKDepot: LISTEN failed, lookups stay uncached'),
  });
  const security = new EtkDepotSecurity({
    db,
    ca: context.ca,
    clock,
    trust: context.trust.wsSecurity,
    clockSkewSeconds: config.clockSkewSeconds,
    requireSignature: config.etkDepotRequireSignature,
    revocationCache: {
      enabled: config.etkDepotCache,
      maxEntries: config.etkDepotCacheEntries,
      maxAgeSeconds: config.etkDepotCacheMaxAgeSeconds,
      onListenError: (error) => logger.warn({ err: error }, 'ETKDepot: LISTEN for revocations failed, signers are checked on every request'),
    },
  });
  let signer: Promise<ResponseSigner> | undefined;
  const responseSigner = (): Promise<ResponseSigner> | undefined => {
    if (!config.signResponses) return undefined;
    signer ??= openResponseSigner({
      keyFile: config.serverSigningKeyFile,
      certificateFile: config.serverSigningCertFile,
      environment: config.environment,
      db,
      issuer: context.issuer,
      clock,
    }).catch((error: unknown) => {
      signer = undefined; // let a later call try again rather than fail forever
      throw error;
    });
    return signer;
  };
  return {
    directory,
    security,
    responseSigner,
    async start() {
      await Promise.all([directory.start(), security.start()]);
      await responseSigner();
    },
    async stop() {
      await Promise.all([directory.stop(), security.stop()]);
    },
  };
}
