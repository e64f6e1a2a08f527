import { generateKeyPairSync } from 'node:crypto';
import { createKeyObjectSigner, type KeyAlgorithm, type KeySigner } from '../keys/key-signer.js';

/**
 * Throwaway keys that sign the certificate linted before the real signature (Boulder's lint-before-sign): generated
 * once per process and algorithm, never persisted, never trusted. Their certificates must never leave the process.
 */
const lintSigners = new Map<KeyAlgorithm, KeySigner>();

export function lintSignerFor(keyAlgorithm: KeyAlgorithm): KeySigner {
  let signer = lintSigners.get(keyAlgorithm);
  if (!signer) {
    const { privateKey } =
      keyAlgorithm === 'RSA'
        ? generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 })
        : generateKeyPairSync('ec', { namedCurve: keyAlgorithm === 'EC-P256' ? 'P-256' : 'P-384' });
    signer = createKeyObjectSigner(privateKey, `lint key (${keyAlgorithm})`);
    lintSigners.set(keyAlgorithm, signer);
  }
  return signer;
}
