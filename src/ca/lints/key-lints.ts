import { keyPolicyViolation } from '../profiles/key-policy.js';
import { NOT_APPLICABLE, expect, fail, type Lint } from './types.js';

export const publicKeyAllowed: Lint = {
  name: 'e_public_key_allowed',
  description: 'The subject key fits the profile: RSA within the size bounds with an allowed exponent, or an allowed EC curve',
  source: 'RFC 3279 §2.3.1, RFC 5480 §2.1.1; profile key policy',
  check: (cert, { profile }) => {
    if (!cert.publicKey) return fail('subjectPublicKeyInfo does not decode');
    const violation = keyPolicyViolation(cert.publicKey, profile.allowedKeys);
    return expect(!violation, violation?.reason ?? '');
  },
};

export const rsaParametersNull: Lint = {
  name: 'e_rsa_spki_parameters_null',
  description: 'An rsaEncryption SubjectPublicKeyInfo carries NULL parameters',
  source: 'RFC 3279 §2.3.1',
  check: (cert) => {
    if (cert.publicKey?.kind !== 'RSA') return NOT_APPLICABLE;
    return expect(cert.publicKey.parametersNull, 'rsaEncryption parameters are not NULL');
  },
};

export const KEY_LINTS: readonly Lint[] = [publicKeyAllowed, rsaParametersNull];
