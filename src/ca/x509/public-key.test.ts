import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describePublicKey, publicKeyIdentifier } from './public-key.js';

const spki = (key: { export(o: { type: 'spki'; format: 'der' }): Buffer }): Buffer => key.export({ type: 'spki', format: 'der' });

describe('public keys', () => {
  it('describes RSA size and exponent', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
    expect(describePublicKey(spki(publicKey))).toEqual({ kind: 'RSA', modulusBits: 2048, publicExponent: 3n, parametersNull: true });
    const odd = generateKeyPairSync('rsa', { modulusLength: 2047 }).publicKey;
    expect(describePublicKey(spki(odd))).toMatchObject({ kind: 'RSA', modulusBits: 2047, publicExponent: 65537n });
  });

  it.each([
    ['P-256', 'P-256'],
    ['P-384', 'P-384'],
    ['P-521', 'P-521'],
    ['secp256k1', undefined],
  ] as const)('describes EC curve %s', (curve, expected) => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    expect(describePublicKey(spki(publicKey))).toMatchObject({ kind: 'EC', curve: expected });
  });

  it('describes other algorithms as such', () => {
    expect(describePublicKey(spki(generateKeyPairSync('ed25519').publicKey))).toEqual({ kind: 'other', algorithmOid: '1.3.101.112' });
  });

  it("computes the same key identifier as OpenSSL's default subjectKeyIdentifier (SHA-1 of the key bits)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ski-'));
    try {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(join(dir, 'k.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
      const pem = execFileSync(
        'openssl',
        ['req', '-x509', '-key', join(dir, 'k.pem'), '-subj', '/CN=ski', '-days', '1', '-addext', 'subjectKeyIdentifier=hash'],
        { encoding: 'utf8', stdio: 'pipe' },
      );
      writeFileSync(join(dir, 'c.pem'), pem);
      const text = execFileSync('openssl', ['x509', '-in', join(dir, 'c.pem'), '-noout', '-ext', 'subjectKeyIdentifier'], { encoding: 'utf8' });
      const opensslSki = /([0-9A-F]{2}(?::[0-9A-F]{2}){19})/.exec(text)![1]!.replace(/:/g, '').toLowerCase();
      const ownSpki = Buffer.from(execFileSync('openssl', ['pkey', '-in', join(dir, 'k.pem'), '-pubout', '-outform', 'DER']));
      expect(publicKeyIdentifier(ownSpki).toString('hex')).toBe(opensslSki);
      const otherSpki = spki(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey);
      expect(publicKeyIdentifier(otherSpki).toString('hex')).not.toBe(opensslSki);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
