import type { ClosableKeySigner } from '../keys/key-reference.js';
import { parseCertificate, type ParsedCertificate } from '../../x509/certificate.js';
import { keyIdentifierOf } from '../x509/public-key.js';

/** The CAs an OCSP responder of ours answers for: those that sign certificates and have their key online. */
export type OcspServedCa = 'issuing' | 'root';

/** The CA roles the platform knows. */
export type CaRole = 'root' | 'issuing' | 'etkRa' | 'citizenCa';

/**
 * Where the platform publishes CRLs and CA certificates, relative to its public URL. These URLs are written into
 * the certificates it issues (CRL distribution point, AIA caIssuers), so the HTTP front end must serve them.
 */
export const CA_PUBLICATION_PATHS: Readonly<Record<Exclude<CaRole, 'etkRa'>, { crl: string; certificate: string }>> = {
  root: { crl: '/crl/root-ca.crl', certificate: '/ca/root-ca.crt' },
  issuing: { crl: '/crl/issuing-ca.crl', certificate: '/ca/issuing-ca.crt' },
  citizenCa: { crl: '/crl/citizen-ca.crl', certificate: '/ca/citizen-ca.crt' },
};

/** Base URL of the CRL / CA certificate publication point when none is configured. Plain http (RFC 5280 §4.2.1.13 practice). */
export const DEFAULT_PUBLICATION_URL = 'http://localhost:8080';

/**
 * A certificate of the hierarchy, parsed, with its key identifier always set: the subjectKeyIdentifier extension, or
 * RFC 5280 method 1 over its key when it has none (`keyIdentifierOf`), i.e. what the AKI of everything it signs carries
 * and what the registry and the CRL publisher key it by.
 */
export type CaCertificate = ParsedCertificate & { readonly subjectKeyIdentifier: Buffer };

export function caCertificate(der: Buffer): CaCertificate {
  const certificate = parseCertificate(der);
  return Object.freeze({ ...certificate, subjectKeyIdentifier: keyIdentifierOf(certificate) });
}

export interface CaCertificateEntry {
  /** DER. */
  readonly cert: Buffer;
  readonly fields: CaCertificate;
}

export interface CaSigningEntry extends CaCertificateEntry {
  readonly signer: ClosableKeySigner;
}

/** A CA that issues certificates or CRLs: where its CRL and its certificate are published. */
export interface IssuingCaEntry extends CaSigningEntry {
  /** URL of the CRL this CA issues (goes into the CRL distribution point of the certificates it signs). */
  readonly crlUrl: string;
  /** URL of this CA's certificate (goes into AIA caIssuers of the certificates it signs). */
  readonly certificateUrl: string;
}

export interface CaMaterial {
  /** True for the generated development hierarchy (never in production). */
  readonly development: boolean;
  /** http base URL under which CA_PUBLICATION_PATHS are served. */
  readonly publicationUrl: string;
  /** The root's key is offline in production; present for the development hierarchy (to sign the root CRL). */
  readonly root: CaCertificateEntry & { readonly signer: ClosableKeySigner | undefined; readonly crlUrl: string; readonly certificateUrl: string };
  readonly issuing: IssuingCaEntry;
  readonly etkRa: CaSigningEntry;
  /** The test citizen CA (eID stand-in): development, or configured explicitly for acceptance. */
  readonly citizenCa: IssuingCaEntry | undefined;
  /**
   * The keys of the delegated OCSP responders, per CA (custody as the CA's: file or PKCS#11). A CA without one has
   * no OCSP responder: its certificates name none and requests about them are `unauthorized`.
   */
  readonly ocspResponderKeys: Readonly<Partial<Record<OcspServedCa, ClosableKeySigner>>>;
  /** Signer of the published trusted lists (EKU id-tsl-kp-tslSigning); none: no lists are published. */
  readonly tslSigner: CaSigningEntry | undefined;
  /** DER certificates from the issuing CA up to and including the root: the chain ETKs and issued certificates carry. */
  readonly issuingChain: readonly Buffer[];
  /** The CRL URL of a CA, by role or by its certificate (DER). */
  crlUrlFor(issuer: CaRole | Buffer): string;
  /** The role of a CA certificate of this hierarchy, if it is one. */
  roleOf(certificate: Buffer): CaRole | undefined;
  /** Releases key handles (PKCS#11 sessions). */
  close(): Promise<void>;
}

/** Logger subset the CA uses (pino's methods fit). */
export interface CaLogger {
  warn(message: string): void;
  info?(message: string): void;
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}
