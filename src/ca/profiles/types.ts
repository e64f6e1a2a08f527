import type { Environment } from '../../domain/environment.js';
import type { KeyUsageName } from '../../x509/certificate.js';
import type { DnAttributeType } from '../../x509/name.js';
import type { ExtendedKeyUsageName, PolicySpec } from '../x509/extensions.js';

export type AllowedCurve = 'P-256' | 'P-384';

/** Which subject keys a profile accepts. A key outside it is refused with WEAK_KEY or UNSUPPORTED_KEY. */
export interface KeyPolicy {
  /** Omitted: RSA keys are not accepted. */
  readonly rsa?: {
    readonly minModulusBits: number;
    readonly maxModulusBits: number;
    readonly publicExponents: readonly number[];
  };
  readonly ecCurves: readonly AllowedCurve[];
}

export interface ValidityRule {
  /** Lifetime in calendar months per environment; never beyond the issuer's notAfter (clamped). */
  readonly months: Readonly<Record<Environment, number>>;
  /** Seconds notBefore is set before "now", for relying parties whose clocks lag. */
  readonly backdateSeconds: number;
}

/** How often a subject attribute type may occur and what it may hold. Types not listed are forbidden. */
export interface DnAttributeRule {
  readonly type: DnAttributeType;
  readonly min: number;
  readonly max: number;
  /** Every occurrence must be one of these. */
  readonly values?: readonly string[];
  /** Every occurrence must match (whole value; JavaScript RegExp source). */
  readonly pattern?: string;
  /** These values must each occur. */
  readonly mustInclude?: readonly string[];
}

/** Cross-attribute rules that counts and patterns cannot express. */
export type DnForm =
  | {
      /** `CN=TYPE=id[, APPID]`, an `OU=TYPE=id` with the same identifier, `OU=APPID` when there is one, optional `OU=NAME`. */
      readonly kind: 'ehealth';
      readonly identifierTypePattern: string;
      readonly identifierValuePattern: string;
      readonly applicationId: 'forbidden' | 'optional';
    }
  | {
      /** eID-like: `SERIALNUMBER=<SSIN>` with a valid check digit, `CN=<Given> <Surname> (<suffix>)`. */
      readonly kind: 'eid-citizen';
      readonly cnSuffix: 'Signature' | 'Authentication';
    };

export interface SubjectDnRule {
  readonly attributes: readonly DnAttributeRule[];
  readonly form?: DnForm;
}

export interface BasicConstraintsRule {
  readonly ca: boolean;
  /** CA profiles only. */
  readonly pathLenConstraint?: number;
  readonly critical: boolean;
}

/** A certificate profile: plain data, overridable from a JSON file (see load-profiles.ts). */
export interface CertificateProfile {
  readonly name: string;
  readonly description: string;
  readonly basicConstraints: BasicConstraintsRule;
  /** Always emitted critical (RFC 5280 §4.2.1.3 "SHOULD", our rule "MUST"). */
  readonly keyUsage: readonly KeyUsageName[];
  /** Empty: no extendedKeyUsage extension. */
  readonly extendedKeyUsage: readonly ExtendedKeyUsageName[];
  readonly allowedKeys: KeyPolicy;
  readonly validity: ValidityRule;
  readonly subject: SubjectDnRule;
  readonly certificatePolicies: readonly PolicySpec[];
  /** Emit a CRL distribution point (the issuer's crlUrl). */
  readonly crlDistributionPoint: boolean;
  /** Emit authorityInfoAccess caIssuers (the issuer's caIssuersUrl), and id-ad-ocsp when the issuer has a responder. */
  readonly authorityInfoAccess: boolean;
  /** Emit id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): delegated OCSP responder certificates only. */
  readonly ocspNoCheck?: boolean;
  /**
   * The certificate names TLS server hosts in subjectAltName (dNSName, iPAddress), which every template issued under
   * the profile must give (RFC 6125: browsers match names there only). Absent: no subjectAltName is issued.
   */
  readonly serverNames?: boolean;
}
