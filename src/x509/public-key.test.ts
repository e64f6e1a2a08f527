import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { publicKeyFromSpki } from './public-key.js';

const spkiOf = (key: KeyObject) => key.export({ type: 'spki', format: 'der' });
const jwkOf = (key: KeyObject) => key.export({ format: 'jwk' });

describe('publicKeyFromSpki', () => {
  it('reads an RSA key (through its PKCS#1 form) as the same key OpenSSL reads from the SPKI', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = publicKeyFromSpki(spkiOf(publicKey));
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails).toEqual(publicKey.asymmetricKeyDetails);
    expect(jwkOf(key)).toEqual(jwkOf(publicKey));
  });

  it('leaves EC and RSA-PSS keys to the SPKI decoder', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    expect(jwkOf(publicKeyFromSpki(spkiOf(ec)))).toEqual(jwkOf(ec));
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey;
    const read = publicKeyFromSpki(spkiOf(pss));
    expect(read.asymmetricKeyType).toBe('rsa-pss');
    expect(read.asymmetricKeyDetails).toEqual(pss.asymmetricKeyDetails);
  });

  it('refuses a truncated key', () => {
    const spki = spkiOf(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);
    expect(() => publicKeyFromSpki(spki.subarray(0, spki.length - 10))).toThrow();
  });

  it('leaves odd SPKIs (parameters not NULL, trailing bytes) to the SPKI decoder, whatever it decides', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spki = spkiOf(publicKey);
    const trailing = Buffer.concat([spki, Buffer.from([0x00])]);
    // rsaEncryption's NULL (05 00) replaced by an INTEGER 0 (02 01 00), the enclosing lengths adjusted.
    const nullAt = spki.indexOf(Buffer.from([0x05, 0x00]));
    const odd = Buffer.concat([spki.subarray(0, nullAt), Buffer.from([0x02, 0x01, 0x00]), spki.subarray(nullAt + 2)]);
    odd[3] = odd[3]! + 1; // outer SEQUENCE length (82 LL LL form: low byte)
    odd[5] = odd[5]! + 1; // AlgorithmIdentifier length
    const outcome = (read: () => KeyObject) => {
      try {
        return jwkOf(read());
      } catch (error) {
        return (error as Error).message;
      }
    };
    for (const input of [odd, trailing]) {
      expect(outcome(() => publicKeyFromSpki(input))).toEqual(outcome(() => createPublicKey({ key: input, format: 'der', type: 'spki' })));
    }
  });
});
