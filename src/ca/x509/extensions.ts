import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AccessDescription,
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CRLDistributionPoints,
  CertificatePolicies,
  DistributionPoint,
  DistributionPointName,
  ExtendedKeyUsage,
  Extension,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  PolicyInformation,
  PolicyQualifierInfo,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import type { KeyUsageName } from '../../x509/certificate.js';
import { OID } from '../../x509/oids.js';

export const KEY_USAGE_FLAGS: Readonly<Record<KeyUsageName, number>> = {
  digitalSignature: KeyUsageFlags.digitalSignature,
  nonRepudiation: KeyUsageFlags.nonRepudiation,
  keyEncipherment: KeyUsageFlags.keyEncipherment,
  dataEncipherment: KeyUsageFlags.dataEncipherment,
  keyAgreement: KeyUsageFlags.keyAgreement,
  keyCertSign: KeyUsageFlags.keyCertSign,
  cRLSign: KeyUsageFlags.cRLSign,
  encipherOnly: KeyUsageFlags.encipherOnly,
  decipherOnly: KeyUsageFlags.decipherOnly,
};

export type ExtendedKeyUsageName = 'serverAuth' | 'clientAuth' | 'codeSigning' | 'emailProtection' | 'timeStamping' | 'OCSPSigning' | 'tslSigning';

export const EXTENDED_KEY_USAGE_OIDS: Readonly<Record<ExtendedKeyUsageName, string>> = {
  serverAuth: OID.kpServerAuth,
  clientAuth: OID.kpClientAuth,
  codeSigning: OID.kpCodeSigning,
  emailProtection: OID.kpEmailProtection,
  timeStamping: OID.kpTimeStamping,
  OCSPSigning: OID.kpOcspSigning,
  tslSigning: OID.kpTslSigning,
};

export interface PolicySpec {
  readonly oid: string;
  readonly cpsUri?: string;
}

function extension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

export function keyUsageFlagsOf(names: readonly KeyUsageName[]): number {
  return names.reduce((flags, name) => flags | KEY_USAGE_FLAGS[name], 0);
}

export function keyUsageExtension(names: readonly KeyUsageName[], critical = true): Extension {
  return extension(OID.keyUsage, critical, new KeyUsage(keyUsageFlagsOf(names)));
}

export function extendedKeyUsageExtension(oids: readonly string[], critical = false): Extension {
  return extension(OID.extKeyUsage, critical, new ExtendedKeyUsage([...oids]));
}

export function basicConstraintsExtension(ca: boolean, pathLenConstraint?: number, critical = true): Extension {
  return extension(OID.basicConstraints, critical, new BasicConstraints({ cA: ca, ...(pathLenConstraint === undefined ? {} : { pathLenConstraint }) }));
}

/** subjectAltName of a TLS server: host names and IP addresses (RFC 5280 §4.2.1.6). */
export function subjectAltNameExtension(names: { readonly dns: readonly string[]; readonly ip: readonly string[] }): Extension {
  return extension(
    OID.subjectAltName,
    false,
    new SubjectAlternativeName([...names.dns.map((dNSName) => new GeneralName({ dNSName })), ...names.ip.map((iPAddress) => new GeneralName({ iPAddress }))]),
  );
}

export function subjectKeyIdentifierExtension(keyId: Uint8Array): Extension {
  return extension(OID.subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyId));
}

/** keyIdentifier only: issuer name + serial would pin the issuer certificate and break re-keying. */
export function authorityKeyIdentifierExtension(keyId: Uint8Array, critical = false): Extension {
  return extension(OID.authorityKeyIdentifier, critical, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyId) }));
}

export function crlDistributionPointsExtension(urls: readonly string[]): Extension {
  const points = urls.map(
    (url) =>
      new DistributionPoint({
        distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: url })] }),
      }),
  );
  return extension(OID.cRLDistributionPoints, false, new CRLDistributionPoints(points));
}

export function authorityInfoAccessExtension(access: { readonly caIssuers?: readonly string[]; readonly ocsp?: readonly string[] }): Extension {
  const descriptions = [
    ...(access.ocsp ?? []).map(
      (url) => new AccessDescription({ accessMethod: OID.adOcsp, accessLocation: new GeneralName({ uniformResourceIdentifier: url }) }),
    ),
    ...(access.caIssuers ?? []).map(
      (url) => new AccessDescription({ accessMethod: OID.adCaIssuers, accessLocation: new GeneralName({ uniformResourceIdentifier: url }) }),
    ),
  ];
  return extension(OID.authorityInfoAccess, false, new AuthorityInfoAccessSyntax(descriptions));
}

export function certificatePoliciesExtension(policies: readonly PolicySpec[]): Extension {
  const infos = policies.map(
    (policy) =>
      new PolicyInformation({
        policyIdentifier: policy.oid,
        ...(policy.cpsUri
          ? {
              policyQualifiers: [
                // The CPS qualifier is an IA5String (RFC 5280 §4.2.1.4): tag 0x16.
                new PolicyQualifierInfo({ policyQualifierId: OID.qtCps, qualifier: ia5String(policy.cpsUri) }),
              ],
            }
          : {}),
      }),
  );
  return extension(OID.certificatePolicies, false, new CertificatePolicies(infos));
}

function ia5String(value: string): ArrayBuffer {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is all of ASCII, control characters included, on purpose
  if (!/^[\x00-\x7f]*$/.test(value) || value.length > 127) throw new Error('CPS URI must be short ASCII');
  const bytes = Buffer.concat([Buffer.from([0x16, value.length]), Buffer.from(value, 'ascii')]);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
}

/** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): its value is NULL; non-critical. */
export function ocspNoCheckExtension(): Extension {
  return new Extension({ extnID: OID.ocspNoCheck, critical: false, extnValue: new OctetString(new Uint8Array([0x05, 0x00])) });
}

/** An extension with arbitrary DER content, for tests that build deliberately broken certificates. */
export function rawExtension(extnID: string, critical: boolean, valueDer: Uint8Array): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(valueDer) });
}
