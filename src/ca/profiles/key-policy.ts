import type { PublicKeyDescription } from '../x509/public-key.js';
import type { KeyPolicy } from './types.js';

export interface KeyPolicyViolation {
  /** WEAK_KEY: the algorithm is accepted but this key is too weak (size, exponent, curve). UNSUPPORTED_KEY: the algorithm is not. */
  readonly code: 'WEAK_KEY' | 'UNSUPPORTED_KEY';
  readonly reason: string;
}

export function keyPolicyViolation(key: PublicKeyDescription, policy: KeyPolicy): KeyPolicyViolation | undefined {
  if (key.kind === 'RSA') {
    const rsa = policy.rsa;
    if (!rsa) return { code: 'UNSUPPORTED_KEY', reason: 'RSA keys are not accepted by this profile' };
    if (key.modulusBits < rsa.minModulusBits)
      return { code: 'WEAK_KEY', reason: `RSA key of ${key.modulusBits} bits; at least ${rsa.minModulusBits} required` };
    if (key.modulusBits > rsa.maxModulusBits)
      return { code: 'UNSUPPORTED_KEY', reason: `RSA key of ${key.modulusBits} bits; at most ${rsa.maxModulusBits} accepted` };
    if (!rsa.publicExponents.some((e) => BigInt(e) === key.publicExponent)) {
      return { code: 'WEAK_KEY', reason: `RSA public exponent ${key.publicExponent}; ${rsa.publicExponents.join(' or ')} required` };
    }
    return undefined;
  }
  if (key.kind === 'EC') {
    if (policy.ecCurves.length === 0) return { code: 'UNSUPPORTED_KEY', reason: 'EC keys are not accepted by this profile' };
    if (!key.curve || !(policy.ecCurves as readonly string[]).includes(key.curve)) {
      return { code: 'WEAK_KEY', reason: `EC curve ${key.curve ?? (key.curveOid || 'unnamed')} is not accepted; use ${policy.ecCurves.join(' or ')}` };
    }
    return undefined;
  }
  return { code: 'UNSUPPORTED_KEY', reason: `key algorithm ${key.algorithmOid} is not accepted` };
}
