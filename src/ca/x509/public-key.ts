import { createHash } from 'node:crypto';
import { OID } from '../../x509/oids.js';
import { DerError, TAG, bitStringOctets, childrenOf, decodeOid, expectTag, readSingleTlv, tlvValue } from './der.js';

export type CurveName = 'P-256' | 'P-384' | 'P-521';

export type PublicKeyDescription =
  | { readonly kind: 'RSA'; readonly modulusBits: number; readonly publicExponent: bigint; readonly parametersNull: boolean }
  | { readonly kind: 'EC'; readonly curve: CurveName | undefined; readonly curveOid: string }
  | { readonly kind: 'other'; readonly algorithmOid: string };

const CURVES: ReadonlyMap<string, CurveName> = new Map([
  [OID.curveP256, 'P-256'],
  [OID.curveP384, 'P-384'],
  [OID.curveP521, 'P-521'],
]);

export interface SplitSpki {
  readonly algorithmOid: string;
  /** DER of the AlgorithmIdentifier parameters, if any. */
  readonly parameters: Buffer | undefined;
  /** Content octets of the subjectPublicKey BIT STRING. */
  readonly subjectPublicKey: Buffer;
}

export function splitSpki(spkiDer: Buffer): SplitSpki {
  const root = expectTag(readSingleTlv(spkiDer), TAG.SEQUENCE, 'SubjectPublicKeyInfo');
  const [algorithm, key, ...rest] = childrenOf(spkiDer, root);
  if (!algorithm || !key || rest.length) throw new DerError('SubjectPublicKeyInfo must have two elements');
  const [oidTlv, params, ...more] = childrenOf(spkiDer, expectTag(algorithm, TAG.SEQUENCE, 'AlgorithmIdentifier'));
  if (!oidTlv || more.length) throw new DerError('malformed AlgorithmIdentifier');
  return {
    algorithmOid: decodeOid(tlvValue(spkiDer, expectTag(oidTlv, TAG.OID, 'algorithm'))),
    parameters: params ? spkiDer.subarray(params.start, params.end) : undefined,
    subjectPublicKey: bitStringOctets(spkiDer, key),
  };
}

/** Key algorithm and strength read straight from the SPKI (no key object needed, so it also describes keys node refuses). */
export function describePublicKey(spkiDer: Buffer): PublicKeyDescription {
  const spki = splitSpki(spkiDer);
  if (spki.algorithmOid === OID.rsaEncryption) {
    const key = spki.subjectPublicKey;
    const [n, e, ...rest] = childrenOf(key, expectTag(readSingleTlv(key), TAG.SEQUENCE, 'RSAPublicKey'));
    if (!n || !e || rest.length) throw new DerError('RSAPublicKey must have two integers');
    const modulus = tlvValue(key, expectTag(n, TAG.INTEGER, 'modulus'));
    const exponent = tlvValue(key, expectTag(e, TAG.INTEGER, 'publicExponent'));
    if ((modulus[0]! & 0x80) !== 0 || (exponent[0]! & 0x80) !== 0) throw new DerError('negative RSA integer');
    let i = 0;
    while (i < modulus.length - 1 && modulus[i] === 0) i++;
    const significant = modulus.subarray(i);
    const modulusBits = (significant.length - 1) * 8 + (32 - Math.clz32(significant[0]!));
    return {
      kind: 'RSA',
      modulusBits,
      publicExponent: BigInt(`0x${exponent.toString('hex')}`),
      parametersNull: spki.parameters?.equals(Buffer.from([TAG.NULL, 0])) === true,
    };
  }
  if (spki.algorithmOid === OID.ecPublicKey) {
    if (!spki.parameters || spki.parameters[0] !== TAG.OID) return { kind: 'EC', curve: undefined, curveOid: '' };
    const curveOid = decodeOid(spki.parameters.subarray(2));
    return { kind: 'EC', curve: CURVES.get(curveOid), curveOid };
  }
  return { kind: 'other', algorithmOid: spki.algorithmOid };
}

/**
 * RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents (no tag, length or unused-bits octet).
 * This is the eHealth PublicKeyIdentifier and the value of our SubjectKeyIdentifier.
 */
export function publicKeyIdentifier(spkiDer: Buffer): Buffer {
  return createHash('sha1').update(splitSpki(spkiDer).subjectPublicKey).digest();
}

/**
 * The key identifier of a (CA) certificate, as the authorityKeyIdentifier of what it signs carries it: its
 * subjectKeyIdentifier, or RFC 5280 method 1 over its key when it has none (RFC 5280 §4.2.1.1).
 */
export function keyIdentifierOf(certificate: { readonly subjectKeyIdentifier: Buffer | undefined; readonly spkiDer: Buffer }): Buffer {
  return certificate.subjectKeyIdentifier ?? publicKeyIdentifier(certificate.spkiDer);
}
