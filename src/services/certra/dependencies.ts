import type { Config } from '../../config/config.js';
import type { EtkStatus } from '../../domain/certra.js';
import type { Clock } from '../../domain/clock.js';
import type { Database, Queryable } from '../../storage/database.js';
import { etkRepository } from '../../storage/etk-repository.js';
import type { CertificateIssuer } from '../certificate-issuer.js';
import type { CrlPublisher } from '../crl-publisher.js';
import { ContractSealer } from './contract-seal.js';
import { defaultCertRaPolicy, type CertRaPolicy } from './policy.js';

/** What CertRA needs of the ETK side (implemented by storage/etk-repository.ts): revocation and status, in our transaction. */
export interface EtkLifecycle {
  /** Revokes (unpublishes) the certificate's ETKs; returns how many changed. */
  revokeForCertificate(q: Queryable, issuedCertificateId: bigint, at: Date): Promise<number>;
  statusForCertificate(q: Queryable, issuedCertificateId: bigint, now: Date): Promise<EtkStatus>;
}

/** Everything the CertRA services are built from; the front end and the admin CLI assemble it. */
export interface CertRaDependencies {
  readonly db: Database;
  readonly clock: Clock;
  readonly issuer: CertificateIssuer;
  readonly policy: CertRaPolicy;
  readonly etk: EtkLifecycle;
  /** Seals and checks contracts; keeps the seal key once read, so share one per process. */
  readonly sealer: ContractSealer;
  /** Runs after a revocation has committed (drops the cached CRL). */
  readonly afterRevocation: () => void;
}

/** Assembles the CertRA dependencies from the platform pieces (the SOAP front end and the admin CLI share this). */
export function createCertRaDependencies(
  source: { readonly config: Config; readonly clock: Clock; readonly db: Database; readonly issuer: CertificateIssuer; readonly crls?: CrlPublisher },
  options: { readonly policy?: Partial<CertRaPolicy>; readonly etk?: EtkLifecycle } = {},
): CertRaDependencies {
  return {
    db: source.db,
    clock: source.clock,
    issuer: source.issuer,
    policy: { ...defaultCertRaPolicy(source.config.environment, source.config.certraAutomaticValidation), ...options.policy },
    etk: options.etk ?? etkRepository,
    sealer: new ContractSealer(),
    afterRevocation: () => source.crls?.invalidate(),
  };
}
