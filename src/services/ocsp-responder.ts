import { createHash } from 'node:crypto';
import type { CaCertificate, CaMaterial, OcspServedCa } from '../ca/hierarchy/index.js';
import type { ClosableKeySigner } from '../ca/keys/key-reference.js';
import {
  buildOcspResponse,
  certIdHashesOf,
  type OcspAnswer,
  OcspMalformedRequestError,
  type OcspErrorStatus,
  ocspErrorResponse,
  type OcspResponderCredential,
  parseOcspRequest,
  type RequestedCertId,
} from '../ca/ocsp/ocsp-messages.js';
import { ocspResponder as ocspResponderProfile } from '../ca/profiles/builtin.js';
import { type RevocationStatus, revocationStatusOf } from '../ca/revocation-status.js';
import { verifyIssuedBy } from '../ca/x509/certificate.js';
import type { DnSequence } from '../ca/x509/name.js';
import { publicKeyIdentifier } from '../ca/x509/public-key.js';
import type { Clock } from '../domain/clock.js';
import type { Environment } from '../domain/environment.js';
import { formatKeyId, normaliseKeyId } from '../domain/key-id.js';
import { parseDn } from '../identifiers/dn.js';
import { parseCertificate, type ParsedCertificate } from '../x509/certificate.js';
import { CERTIFICATE_REVOCATION_CHANNEL, certificateRegistry, normaliseSerialHex } from '../storage/certificate-registry.js';
import type { Database, Queryable } from '../storage/database.js';
import type { CertificateIssuer } from './certificate-issuer.js';
import { CRL_VALIDITY_MS } from './crl-publisher.js';
import { NotifiedCache, type NotifiedCacheSettings } from './notified-cache.js';

/** Where the responder answers (the AIA id-ad-ocsp of what we issue): one URL for every CA we serve, see README. */
export const OCSP_PATH = '/ocsp';

export interface OcspResponderSettings {
  readonly environment: Environment;
  /** Lifetime of a delegated responder certificate (OCSP_RESPONDER_VALIDITY_DAYS). */
  readonly responderValidityDays: number;
  /** A responder certificate is replaced when less than this remains (OCSP_RESPONDER_RENEW_BEFORE_DAYS). */
  readonly responderRenewBeforeDays: number;
  /** Pre-signed responses (no nonce), coherent across processes by LISTEN/NOTIFY. */
  readonly cache: NotifiedCacheSettings;
}

/** What the HTTP front end sends back: the DER and, for a pre-signable answer, how long caches may keep it. */
export interface OcspReply {
  readonly der: Buffer;
  readonly status: 'successful' | OcspErrorStatus;
  /** Set for successful answers without a nonce (RFC 5019 §6.2 caching headers). */
  readonly freshness?: { readonly producedAt: Date; readonly nextUpdate: Date; readonly etag: string };
  /** Why a request was refused, for the log line (never sent to the client). */
  readonly reason?: string;
}

interface ServedCa {
  readonly role: OcspServedCa;
  readonly keyId: string;
  readonly fields: CaCertificate;
  readonly responder: ResponderCertificate;
}

interface CachedReply {
  readonly der: Buffer;
  readonly producedAt: Date;
  readonly nextUpdate: Date;
  readonly etag: string;
  /** "unknown" is not kept: the certificate may be recorded a moment later. */
  readonly keep: boolean;
}

/**
 * The RFC 6960 responder for the CAs whose responder key is configured (CaMaterial.ocspResponderKeys). Statuses come
 * from the certificate registry (and the hierarchy's own certificates); answers are signed by a delegated responder
 * certificate per CA that the service issues and renews itself.
 *
 * Hot path: a nonce-less single request is answered from a pre-signed response, kept per certificate until half its
 * validity has passed (so never past its nextUpdate) and dropped in every process at once when any certificate is
 * revoked (the certificate_revoked NOTIFY the CRL publisher also follows): OCSP and the CRL never disagree. A request
 * with a nonce is signed for the caller. thisUpdate/nextUpdate span the CRL period.
 */
export class OcspResponder {
  private readonly served = new Map<string, ServedCa>();
  /** Our hierarchy certificates (not in the registry): "<issuer key id>:<serial>" → good. */
  private readonly hierarchyCertificates = new Set<string>();
  private readonly responses: NotifiedCache<CachedReply>;

  constructor(
    private readonly dependencies: {
      readonly db: Database;
      /** Where statuses are read: a hot standby through the ReadRouter, or the primary (default). */
      readonly lookups?: Queryable;
      readonly clock: Clock;
      readonly ca: CaMaterial;
      readonly issuer: CertificateIssuer;
    },
    settings: OcspResponderSettings,
  ) {
    const { ca } = dependencies;
    this.responses = new NotifiedCache({ db: dependencies.db, channel: CERTIFICATE_REVOCATION_CHANNEL, ...settings.cache });
    for (const role of ['issuing', 'root'] as const) {
      const key = ca.ocspResponderKeys[role];
      if (key === undefined) continue;
      const fields = ca[role].fields;
      const entry: ServedCa = {
        role,
        keyId: formatKeyId(fields.subjectKeyIdentifier),
        fields,
        responder: new ResponderCertificate(role, fields, key, dependencies, settings),
      };
      for (const hash of ['SHA-1', 'SHA-256'] as const) {
        const { nameHashHex, keyHashHex } = certIdHashesOf(fields, hash);
        this.served.set(`${hash}:${nameHashHex}:${keyHashHex}`, entry);
      }
      const hierarchy = [...ca.issuingChain, ca.etkRa.cert].map((der) => parseCertificate(der));
      for (const certificate of hierarchy) {
        if (!certificate.der.equals(fields.der) && verifyIssuedBy(certificate, fields)) {
          this.hierarchyCertificates.add(`${entry.keyId}:${normaliseSerialHex(certificate.serialNumberHex)}`);
        }
      }
    }
  }

  /** The CAs answered for (their responder URL is OCSP_PATH). */
  get servedCas(): readonly OcspServedCa[] {
    return [...new Set([...this.served.values()].map((entry) => entry.role))];
  }

  /** Issues or loads each responder certificate and LISTENs for revocations. */
  async start(): Promise<void> {
    await Promise.all([...new Set(this.served.values())].map((entry) => entry.responder.current()));
    await this.responses.start();
  }

  stop(): Promise<void> {
    return this.responses.stop();
  }

  /** The current delegated responder certificate of a served CA (DER), for tests and the admin view. */
  async responderCertificate(role: OcspServedCa): Promise<Buffer | undefined> {
    const entry = [...this.served.values()].find((served) => served.role === role);
    return entry ? (await entry.responder.current()).certificate : undefined;
  }

  /** Answers one DER OCSPRequest. Never throws for what the client sent: bad input is malformedRequest. */
  async respond(requestDer: Uint8Array): Promise<OcspReply> {
    const now = this.dependencies.clock.now();
    // The hot path: the same nonce-less request bytes were answered in this period (a lookup, no ASN.1 parsing).
    const cacheKey = `${presignPeriodOf(now)}:${Buffer.from(requestDer).toString('base64')}`;
    const hit = this.responses.peek(cacheKey);
    if (hit) return presignedReply(hit);
    let request;
    try {
      request = parseOcspRequest(requestDer);
    } catch (error) {
      if (error instanceof OcspMalformedRequestError) return refusal('malformedRequest', error.message);
      throw error;
    }
    const targets: Array<{ certId: RequestedCertId; ca: ServedCa }> = [];
    for (const certId of request.certIds) {
      const ca = this.served.get(`${certId.hash}:${certId.issuerNameHashHex}:${certId.issuerKeyHashHex}`);
      // RFC 6960 §2.3: a responder not authoritative for a certificate answers unauthorized.
      if (ca === undefined) return refusal('unauthorized', 'a CertID names an issuer this responder does not serve');
      targets.push({ certId, ca });
    }
    if (request.nonce === undefined && targets.length === 1) return this.presigned(cacheKey, targets[0]!.certId, targets[0]!.ca, now);
    const answers = await Promise.all(targets.map(async ({ certId, ca }) => this.answer(certId, now, await this.statusOf(ca, certId.serialHex))));
    // One signer per response: a request spanning two CAs is signed by the first one's responder (both are ours).
    const credential = await targets[0]!.ca.responder.current();
    const der = await buildOcspResponse(credential, { producedAt: now, answers: clampAll(answers, credential), nonce: request.nonce });
    return { der, status: 'successful' };
  }

  /** A single nonce-less request: signed once per certificate and period, kept until a revocation anywhere. */
  private async presigned(cacheKey: string, certId: RequestedCertId, ca: ServedCa, now: Date): Promise<OcspReply> {
    const reply = await this.responses.get(
      cacheKey,
      async () => {
        const status = await this.statusOf(ca, certId.serialHex);
        const credential = await ca.responder.current();
        const [answer] = clampAll([this.answer(certId, now, status)], credential);
        const der = await buildOcspResponse(credential, { producedAt: now, answers: [answer!] });
        return {
          der,
          producedAt: now,
          nextUpdate: answer!.nextUpdate,
          etag: `"${createHash('sha1').update(der).digest('hex')}"`,
          keep: status.status !== 'unknown',
        };
      },
      (cached) => cached.keep,
    );
    return presignedReply(reply);
  }

  private answer(certId: RequestedCertId, now: Date, status: RevocationStatus): OcspAnswer {
    return { certId: certId.asn1, status, thisUpdate: now, nextUpdate: new Date(now.getTime() + CRL_VALIDITY_MS) };
  }

  private async statusOf(ca: ServedCa, serialHex: string): Promise<RevocationStatus> {
    if (this.hierarchyCertificates.has(`${ca.keyId}:${serialHex}`)) return { status: 'good' };
    const { db, lookups = db } = this.dependencies;
    let row = await certificateRegistry.findBySerial(lookups, ca.keyId, serialHex);
    // A certificate the standby does not know yet may have been issued a moment ago (issuance notifies no cache).
    if (row === undefined && lookups !== db) row = await certificateRegistry.findBySerial(db, ca.keyId, serialHex);
    if (row === undefined) return { status: 'unknown' };
    return revocationStatusOf({
      serialNumber: row.serialHex,
      revokedAt: row.revokedAt,
      revocationReason: row.revocationReason,
      issued: row.certificateDer !== null,
    });
  }
}

/**
 * A pre-signed answer is served for at most half of its validity (the CRL period): the other half is the margin to its
 * nextUpdate, so no cache (ours or the client's) holds one past it.
 */
function presignPeriodOf(now: Date): number {
  return Math.floor(now.getTime() / (CRL_VALIDITY_MS / 2));
}

function presignedReply(cached: CachedReply): OcspReply {
  return { der: cached.der, status: 'successful', freshness: { producedAt: cached.producedAt, nextUpdate: cached.nextUpdate, etag: cached.etag } };
}

/** No answer outlives the certificate that signs it. */
function clampAll(answers: readonly OcspAnswer[], credential: OcspResponderCredential & { readonly notAfter: Date }): OcspAnswer[] {
  return answers.map((answer) => (answer.nextUpdate > credential.notAfter ? { ...answer, nextUpdate: credential.notAfter } : answer));
}

/** An unsigned error answer (malformedRequest, internalError…), with the reason for the log line. */
export function refusal(status: OcspErrorStatus, reason: string): OcspReply {
  return { der: ocspErrorResponse(status), status, reason };
}

type Credential = OcspResponderCredential & { readonly notAfter: Date };

/**
 * The delegated responder certificate of one CA: the newest recorded one for the responder key that still has more
 * than the renewal margin left (another process may have issued it), else a new one issued through the
 * CertificateIssuer (lint before sign, key-use journal, registry). Renewal starts in the background once the margin
 * is reached and is awaited only when the current certificate has actually expired.
 */
class ResponderCertificate {
  private credential: Credential | undefined;
  private renewing: Promise<Credential> | undefined;
  private readonly subjectKeyId: string;

  constructor(
    private readonly role: OcspServedCa,
    private readonly ca: CaCertificate,
    private readonly key: ClosableKeySigner,
    private readonly dependencies: { readonly db: Database; readonly clock: Clock; readonly issuer: CertificateIssuer },
    private readonly settings: OcspResponderSettings,
  ) {
    this.subjectKeyId = normaliseKeyId(publicKeyIdentifier(key.publicKeySpki).toString('hex'));
  }

  async current(): Promise<Credential> {
    const now = this.dependencies.clock.now();
    const held = this.credential;
    if (held && held.notAfter.getTime() - now.getTime() > this.renewBeforeMs()) return held;
    const renewal = (this.renewing ??= this.renew().finally(() => {
      this.renewing = undefined;
    }));
    if (held && held.notAfter > now) {
      renewal.catch(() => undefined); // the next request retries; the held certificate is still valid
      return held;
    }
    return renewal;
  }

  private renewBeforeMs(): number {
    return this.settings.responderRenewBeforeDays * 86_400_000;
  }

  private async renew(): Promise<Credential> {
    const { db, clock, issuer } = this.dependencies;
    const now = clock.now();
    const caKeyId = formatKeyId(this.ca.subjectKeyIdentifier);
    const recorded = (await certificateRegistry.findBySubjectKeyId(db, this.subjectKeyId))
      .filter((row) => row.issuerKeyId === caKeyId && row.profile === ocspResponderProfile.name && row.revokedAt === null && row.certificateDer !== null)
      .filter((row) => row.notBefore <= now && row.notAfter.getTime() - now.getTime() > this.renewBeforeMs())
      .sort((a, b) => b.notAfter.getTime() - a.notAfter.getTime())[0];
    const der =
      recorded?.certificateDer ??
      (
        await issuer.issueFromTemplate(
          db,
          {
            profile: ocspResponderProfile,
            environment: this.settings.environment,
            now,
            subject: responderSubject(this.ca),
            subjectPublicKeySpki: this.key.publicKeySpki,
            validityDays: this.settings.responderValidityDays,
          },
          'ocsp-responder',
          this.role,
        )
      ).der;
    const fields = parseCertificate(der);
    this.credential = { certificate: der, signer: this.key, notAfter: fields.notAfter };
    return this.credential;
  }
}

/** `<CA CN> OCSP Responder`, under the CA's country and organisation. */
function responderSubject(ca: ParsedCertificate): DnSequence {
  const attributes = parseDn(ca.subjectDn);
  const value = (type: string) => attributes.find((attribute) => attribute.type === type)?.value;
  return [
    { type: 'C', value: value('C') ?? 'BE' },
    ...(value('O') ? [{ type: 'O' as const, value: value('O')! }] : []),
    { type: 'CN', value: `${value('CN') ?? 'CA'} OCSP Responder`.slice(0, 64) },
  ];
}
