import { createPublicKey, type KeyObject } from 'node:crypto';
import { TAG, bitStringOctets, childrenOf, decodeOid, expectTag, readSingleTlv, tlvValue } from '../asn1/der.js';
import { OID } from './oids.js';

/**
 * The public key of a SubjectPublicKeyInfo. OpenSSL 3's SPKI decoder costs about 110 µs per key under Node 20, and a
 * signed request brings a certificate (and a CSR) never seen before; for rsaEncryption the BIT STRING is the PKCS#1
 * RSAPublicKey, which OpenSSL reads in about 10 µs: the same key. Anything else, or anything unexpected in the
 * structure, goes to OpenSSL's SPKI decoder, which decides.
 */
export function publicKeyFromSpki(spkiDer: Buffer): KeyObject {
  const rsaPublicKey = rsaPublicKeyOf(spkiDer);
  if (rsaPublicKey) return createPublicKey({ key: rsaPublicKey, format: 'der', type: 'pkcs1' });
  return createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
}

/** The RSAPublicKey of an rsaEncryption SPKI (parameters NULL or absent), else undefined. */
function rsaPublicKeyOf(spkiDer: Buffer): Buffer | undefined {
  try {
    const [algorithm, key, ...extra] = childrenOf(spkiDer, expectTag(readSingleTlv(spkiDer), TAG.SEQUENCE, 'SubjectPublicKeyInfo'));
    if (!algorithm || !key || extra.length > 0) return undefined;
    const [oid, parameters, ...more] = childrenOf(spkiDer, expectTag(algorithm, TAG.SEQUENCE, 'AlgorithmIdentifier'));
    if (!oid || more.length > 0 || decodeOid(tlvValue(spkiDer, expectTag(oid, TAG.OID, 'algorithm'))) !== OID.rsaEncryption) return undefined;
    if (parameters !== undefined && (parameters.tag !== TAG.NULL || parameters.end !== parameters.valueStart)) return undefined;
    return bitStringOctets(spkiDer, key);
  } catch {
    return undefined;
  }
}
