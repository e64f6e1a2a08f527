import { Gauge, type Registry } from 'prom-client';
import type { CaMaterial, OcspServedCa } from '../ca/hierarchy/index.js';
import { formatKeyId } from '../domain/key-id.js';
import type { Queryable } from '../storage/database.js';
import { type PlatformCounts, platformCounts } from '../storage/platform-counts.js';
import { parseCertificate } from '../x509/certificate.js';
import { CRL_VALIDITY_MS } from './crl-publisher.js';

/**
 * The gauges an operator watches besides traffic: the officers' queue, certificates issued and revoked, when each CRL
 * must be renewed, and when each certificate the platform signs with expires. Read from the database when /metrics is
 * scraped (one statement, shared by the gauges of one scrape); the same in every worker, so the cluster keeps one.
 */
export interface OperationsMetricsSources {
  readonly db: Queryable;
  readonly ca: CaMaterial;
  /** The delegated OCSP responder certificates (issued and renewed by the service). */
  readonly ocspResponderCertificate: (role: OcspServedCa) => Promise<Buffer | undefined>;
  /** The KGSS's authentication certificate, when the KGSS runs. */
  readonly kgssCertificate?: () => Buffer | undefined;
  readonly onError: (error: unknown) => void;
}

export function registerOperationsMetrics(registry: Registry, sources: OperationsMetricsSources): void {
  const registers = [registry];
  let reading: { at: number; counts: Promise<PlatformCounts | undefined> } | undefined;
  // One database read for all the gauges of a scrape (prom-client collects them one after the other).
  const counts = (): Promise<PlatformCounts | undefined> => {
    const now = Date.now();
    if (!reading || now - reading.at > 1_000) {
      reading = {
        at: now,
        counts: platformCounts.read(sources.db).catch((error: unknown) => {
          sources.onError(error);
          return undefined;
        }),
      };
    }
    return reading.counts;
  };
  new Gauge({
    name: 'ehealth_certra_requests_pending',
    help: 'CertRA certificate requests waiting for an officer (manual validation)',
    aggregator: 'max',
    registers,
    async collect() {
      const read = await counts();
      if (read) this.set(read.pendingRequests);
    },
  });
  new Gauge({
    name: 'ehealth_certificates',
    help: 'Certificates issued by the issuing CA, by status (issued: all ever issued; revoked: those revoked since)',
    labelNames: ['status'],
    aggregator: 'max',
    registers,
    async collect() {
      const read = await counts();
      if (!read) return;
      this.set({ status: 'issued' }, read.issuedCertificates);
      this.set({ status: 'revoked' }, read.revokedCertificates);
    },
  });
  const caRoles = new Map([
    [formatKeyId(sources.ca.issuing.fields.subjectKeyIdentifier), 'issuing'],
    [formatKeyId(sources.ca.root.fields.subjectKeyIdentifier), 'root'],
  ]);
  new Gauge({
    name: 'ehealth_crl_next_update_timestamp_seconds',
    help: 'nextUpdate of the current CRL of each CA (the service issues a new one before it; an alert if it nears)',
    labelNames: ['ca'],
    aggregator: 'max',
    registers,
    async collect() {
      const read = await counts();
      for (const crl of read?.crlsIssued ?? []) {
        const ca = caRoles.get(crl.issuerKeyId);
        if (ca) this.set({ ca }, (crl.lastIssuedAt.getTime() + CRL_VALIDITY_MS) / 1000);
      }
    },
  });
  new Gauge({
    name: 'ehealth_certificate_expiry_timestamp_seconds',
    help: 'notAfter of each certificate the platform signs or answers with: CAs, ETK-RA, trusted-list and OCSP signers, KGSS',
    labelNames: ['certificate'],
    aggregator: 'min',
    registers,
    async collect() {
      for (const { name, notAfter } of await signingCertificateExpiries(sources)) this.set({ certificate: name }, notAfter.getTime() / 1000);
    },
  });
}

/**
 * When each certificate the platform signs or answers with ends: the CAs, the ETK-RA and trusted-list signers, the KGSS,
 * and the delegated OCSP responders (issued and renewed by the service). For the gauge and the officers' dashboard.
 */
export async function signingCertificateExpiries(
  sources: Pick<OperationsMetricsSources, 'ca' | 'ocspResponderCertificate' | 'kgssCertificate' | 'onError'>,
): Promise<Array<{ name: string; notAfter: Date }>> {
  const { ca } = sources;
  const fixed: Array<[string, Date | undefined]> = [
    ['root CA', ca.root.fields.notAfter],
    ['issuing CA', ca.issuing.fields.notAfter],
    ['ETK-RA signer', ca.etkRa.fields.notAfter],
    ['trusted-list signer', ca.tslSigner?.fields.notAfter],
  ];
  const kgss = sources.kgssCertificate?.();
  if (kgss) fixed.push(['KGSS', parseCertificate(kgss).notAfter]);
  for (const role of ['issuing', 'root'] as const) {
    if (!ca.ocspResponderKeys[role]) continue;
    try {
      const responder = await sources.ocspResponderCertificate(role);
      if (responder) fixed.push([`OCSP responder (${role === 'issuing' ? 'issuing CA' : 'root'})`, parseCertificate(responder).notAfter]);
    } catch (error) {
      sources.onError(error);
    }
  }
  return fixed.filter((entry): entry is [string, Date] => entry[1] !== undefined).map(([name, notAfter]) => ({ name, notAfter }));
}
