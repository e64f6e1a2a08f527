import type { Logger } from 'pino';
import type { CaMaterial } from '../ca/hierarchy/index.js';
import type { Config } from '../config/config.js';
import type { Clock } from '../domain/clock.js';
import type { Database } from '../storage/database.js';
import type { TrustStore } from '../trust/index.js';
import type { CertificateIssuer } from './certificate-issuer.js';
import type { CrlPublisher } from './crl-publisher.js';

/** Trust anchors bound to the role a signature plays (docs/wire-facts.md §4.1). */
export interface TrustStores {
  /** eID Signature CAs: generateCertificate, revoke. */
  readonly eidSignature: TrustStore;
  /** eID Authentication CAs: getActorQualities, getCertificateInfoForCitizen. */
  readonly eidAuthentication: TrustStore;
  /** Our own eHealth hierarchy: getCertificateInfoForAuthenticationCertificate and all of EtkRA. */
  readonly ehealth: TrustStore;
  /** WS-Security signers on ETKDepot: configured anchors plus our own hierarchy. */
  readonly wsSecurity: TrustStore;
}

/** Everything the services and front ends are built from; assembled once by the composition root. */
export interface PlatformContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly db: Database;
  readonly ca: CaMaterial;
  readonly issuer: CertificateIssuer;
  readonly crls: CrlPublisher;
  readonly trust: TrustStores;
}
