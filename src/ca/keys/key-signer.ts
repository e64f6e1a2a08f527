import { createPublicKey, sign as nodeSign, type KeyObject } from 'node:crypto';

/**
 * The one thing the CA needs from a private key: raw signatures over bytes it prepared itself.
 * Implementations: an in-memory KeyObject (encrypted PKCS#8 files, generated keys) and a PKCS#11 token.
 * A KeySigner never exposes key material; its toString() must not either.
 */
export type KeyAlgorithm = 'RSA' | 'EC-P256' | 'EC-P384';
export type SignatureHash = 'SHA-256' | 'SHA-384' | 'SHA-1';

export interface KeySigner {
  readonly keyAlgorithm: KeyAlgorithm;
  /** DER SubjectPublicKeyInfo of the public half. */
  readonly publicKeySpki: Buffer;
  /** A label for logs and errors (file path or token/key label), never key material. */
  readonly description: string;
  /** RSASSA-PKCS1-v1_5 for RSA keys; DER-encoded ECDSA-Sig-Value for EC keys. */
  sign(data: Uint8Array, hash: SignatureHash): Promise<Buffer>;
  /**
   * For keys held outside the process (PKCS#11): resolves when the token answers, the session is logged in and the
   * key is there, without signing anything; rejects with the reason (never a secret). Keys in memory have none.
   */
  checkReachable?(): Promise<void>;
}

export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RSA';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1' || curve === 'P-256') return 'EC-P256';
    if (curve === 'secp384r1' || curve === 'P-384') return 'EC-P384';
  }
  throw new Error(`unsupported key type ${key.asymmetricKeyType}`);
}

/** Signs with a private KeyObject held in memory; the PEM is parsed once, by the caller (parsing per signature costs 3-8x). */
export function createKeyObjectSigner(privateKey: KeyObject, description: string): KeySigner {
  if (privateKey.type !== 'private') throw new Error('createKeyObjectSigner needs a private key');
  const keyAlgorithm = keyAlgorithmOf(privateKey);
  const publicKeySpki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return {
    keyAlgorithm,
    publicKeySpki,
    description,
    async sign(data, hash) {
      const digest = hash.replace('-', '').toLowerCase();
      return nodeSign(digest, data, keyAlgorithm === 'RSA' ? privateKey : { key: privateKey, dsaEncoding: 'der' });
    },
    toString: () => `KeySigner(${description})`,
  } as KeySigner;
}
