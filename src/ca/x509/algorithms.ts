import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import type { KeyAlgorithm, SignatureHash } from '../keys/key-signer.js';
import { OID } from '../../x509/oids.js';
import { encodeOid, encodeSequence } from './der.js';

export type SignatureAlgorithmName =
  | 'sha256WithRSAEncryption'
  | 'sha384WithRSAEncryption'
  | 'sha512WithRSAEncryption'
  | 'ecdsa-with-SHA256'
  | 'ecdsa-with-SHA384'
  | 'ecdsa-with-SHA512';

export interface SignatureAlgorithm {
  readonly name: SignatureAlgorithmName;
  readonly oid: string;
  readonly keyKind: 'RSA' | 'EC';
  /** node:crypto digest name. */
  readonly digest: 'sha256' | 'sha384' | 'sha512';
  /** DER AlgorithmIdentifier exactly as it must appear in the certificate (NULL parameters for RSA, none for ECDSA). */
  readonly der: Buffer;
}

function define(name: SignatureAlgorithmName, oid: string, keyKind: 'RSA' | 'EC', digest: SignatureAlgorithm['digest']): SignatureAlgorithm {
  // RFC 4055 §5: RSA PKCS#1 v1.5 algorithms carry NULL parameters; RFC 5758 §3.2: ECDSA ones carry none.
  const der = keyKind === 'RSA' ? encodeSequence(encodeOid(oid), Buffer.from([0x05, 0x00])) : encodeSequence(encodeOid(oid));
  return Object.freeze({ name, oid, keyKind, digest, der });
}

const ALGORITHMS: readonly SignatureAlgorithm[] = [
  define('sha256WithRSAEncryption', OID.sha256WithRSAEncryption, 'RSA', 'sha256'),
  define('sha384WithRSAEncryption', OID.sha384WithRSAEncryption, 'RSA', 'sha384'),
  define('sha512WithRSAEncryption', OID.sha512WithRSAEncryption, 'RSA', 'sha512'),
  define('ecdsa-with-SHA256', OID.ecdsaWithSHA256, 'EC', 'sha256'),
  define('ecdsa-with-SHA384', OID.ecdsaWithSHA384, 'EC', 'sha384'),
  define('ecdsa-with-SHA512', OID.ecdsaWithSHA512, 'EC', 'sha512'),
];

const BY_OID: ReadonlyMap<string, SignatureAlgorithm> = new Map(ALGORITHMS.map((a) => [a.oid, a]));
const BY_NAME: ReadonlyMap<SignatureAlgorithmName, SignatureAlgorithm> = new Map(ALGORITHMS.map((a) => [a.name, a]));

/** Accepted on CSRs (proof of possession). SHA-1 and RSASSA-PSS are not. */
export function signatureAlgorithmFromOid(oid: string): SignatureAlgorithm | undefined {
  return BY_OID.get(oid);
}

/** The algorithm the CA signs with, chosen by its key: SHA-256 for RSA and P-256, SHA-384 for P-384. */
export function signatureAlgorithmFor(keyAlgorithm: KeyAlgorithm): SignatureAlgorithm {
  const name: SignatureAlgorithmName =
    keyAlgorithm === 'RSA' ? 'sha256WithRSAEncryption' : keyAlgorithm === 'EC-P256' ? 'ecdsa-with-SHA256' : 'ecdsa-with-SHA384';
  return BY_NAME.get(name)!;
}

export function signerHashOf(algorithm: SignatureAlgorithm): SignatureHash {
  if (algorithm.digest === 'sha256') return 'SHA-256';
  if (algorithm.digest === 'sha384') return 'SHA-384';
  throw new Error(`the CA does not sign with ${algorithm.name}`);
}

export function toAlgorithmIdentifier(algorithm: SignatureAlgorithm): AlgorithmIdentifier {
  return new AlgorithmIdentifier({
    algorithm: algorithm.oid,
    ...(algorithm.keyKind === 'RSA' ? { parameters: null } : {}),
  });
}
