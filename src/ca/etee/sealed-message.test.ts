import { execFile } from 'node:child_process';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { createKeyObjectSigner } from '../keys/key-signer.js';
import { seal, SealedMessageError, unseal, type SealingSender, type UnsealingKeys } from './sealed-message.js';

const run = promisify(execFile);

/**
 * Sealed messages against OpenSSL alone, the independent CMS implementation: what OpenSSL seals (DER and streamed BER,
 * PKCS#1 v1.5 and PSS signatures, certificate and KEK recipients) opens here, and what we seal opens with OpenSSL.
 */
describe('eHealth sealed messages (triple wrap)', () => {
  let dir: string;
  let sender: SealingSender;
  let other: SealingSender;
  let recipientKeys: UnsealingKeys;
  let recipientCertificate: Buffer;
  const kek = randomBytes(16);
  const kekIdentifier = randomBytes(20);
  const path = (name: string) => join(dir, name);

  async function identity(name: string): Promise<{ certificate: Buffer; keyPem: string }> {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      path(`${name}.key`),
      '-out',
      path(`${name}.pem`),
      '-subj',
      `/C=BE/O=Test/CN=${name}`,
      '-days',
      '2',
    ]);
    return { certificate: Buffer.from(new X509Certificate(readFileSync(path(`${name}.pem`))).raw), keyPem: readFileSync(path(`${name}.key`), 'utf8') };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealed-'));
    const alice = await identity('alice');
    sender = { certificate: alice.certificate, chain: [], signer: createKeyObjectSigner(createPrivateKey(alice.keyPem), 'alice') };
    const mallory = await identity('mallory');
    other = { certificate: mallory.certificate, chain: [], signer: createKeyObjectSigner(createPrivateKey(mallory.keyPem), 'mallory') };
    const bob = await identity('bob');
    recipientCertificate = bob.certificate;
    recipientKeys = {
      decryptionKeys: [{ certificate: bob.certificate, privateKey: createPrivateKey(bob.keyPem) }],
      keks: [{ identifier: kekIdentifier, key: kek }],
    };
    writeFileSync(path('content.xml'), '<GetNewKeyRequestContent xmlns="urn:be:fgov:ehealth:etee:kgss:1_0:protocol"/>');
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const limits = { maxBytes: 1_000_000 };

  it('round trip: to a certificate and to a KEK; each key opens it; the signer is the sender', async () => {
    const content = Buffer.from('hello, sealed world');
    const sealed = await seal(content, sender, [{ certificate: recipientCertificate }, { kek, kekIdentifier }], new Date());
    const byCertificate = unseal(sealed, { decryptionKeys: recipientKeys.decryptionKeys }, limits);
    expect(byCertificate.content).toEqual(content);
    expect(byCertificate.signer.der).toEqual(sender.certificate);
    const byKek = unseal(sealed, { keks: recipientKeys.keks }, limits);
    expect(byKek.content).toEqual(content);
  });

  it('a message OpenSSL sealed (sign → encrypt → sign) opens here: DER and streamed BER, PKCS#1 v1.5 and PSS, certificate and KEK', async () => {
    const variants: Array<{ name: string; sign: string[]; encrypt: string[]; stream: boolean }> = [
      { name: 'der-pkcs1-cert', sign: [], encrypt: ['-recip', path('bob.pem')], stream: false },
      { name: 'ber-pkcs1-cert', sign: [], encrypt: ['-recip', path('bob.pem')], stream: true },
      // (OpenSSL 3.0 cannot stream a PSS SignerInfo: "illegal zero content")
      { name: 'der-pss-cert', sign: ['-keyopt', 'rsa_padding_mode:pss'], encrypt: ['-recip', path('bob.pem')], stream: false },
      {
        name: 'der-pss-kek',
        sign: ['-keyopt', 'rsa_padding_mode:pss'],
        encrypt: ['-secretkey', kek.toString('hex'), '-secretkeyid', kekIdentifier.toString('hex')],
        stream: false,
      },
    ];
    for (const variant of variants) {
      const stream = variant.stream ? ['-stream'] : [];
      const signer = ['-signer', path('alice.pem'), '-inkey', path('alice.key'), '-md', 'sha256', ...variant.sign];
      await run('openssl', [
        'cms',
        '-sign',
        '-binary',
        '-nodetach',
        '-in',
        path('content.xml'),
        ...signer,
        '-outform',
        'DER',
        '-out',
        path(`${variant.name}.1`),
        ...stream,
      ]);
      await run('openssl', [
        'cms',
        '-encrypt',
        '-binary',
        '-aes128',
        '-in',
        path(`${variant.name}.1`),
        '-inform',
        'DER',
        ...variant.encrypt,
        '-outform',
        'DER',
        '-out',
        path(`${variant.name}.2`),
        ...stream,
      ]);
      await run('openssl', [
        'cms',
        '-sign',
        '-binary',
        '-nodetach',
        '-in',
        path(`${variant.name}.2`),
        ...signer,
        '-outform',
        'DER',
        '-out',
        path(`${variant.name}.3`),
        ...stream,
      ]);
      const opened = unseal(readFileSync(path(`${variant.name}.3`)), recipientKeys, limits);
      expect({ variant: variant.name, content: opened.content.toString() }).toEqual({
        variant: variant.name,
        content: readFileSync(path('content.xml'), 'utf8'),
      });
      expect(opened.signer.der).toEqual(sender.certificate);
    }
  }, 60_000);

  it('what we seal opens with OpenSSL alone: outer verify, decrypt (certificate or KEK), inner verify', async () => {
    const content = Buffer.from('<GetNewKeyResponseContent/>');
    writeFileSync(path('ours.cms'), await seal(content, sender, [{ certificate: recipientCertificate }, { kek, kekIdentifier }], new Date()));
    const verify = (input: string, output: string) =>
      run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', path(input), '-CAfile', path('alice.pem'), '-out', path(output)]);
    await verify('ours.cms', 'ours.enveloped');
    await run('openssl', [
      'cms',
      '-decrypt',
      '-binary',
      '-inform',
      'DER',
      '-in',
      path('ours.enveloped'),
      '-recip',
      path('bob.pem'),
      '-inkey',
      path('bob.key'),
      '-out',
      path('ours.inner'),
    ]);
    await verify('ours.inner', 'ours.txt');
    expect(readFileSync(path('ours.txt'))).toEqual(content);
    await run('openssl', [
      'cms',
      '-decrypt',
      '-binary',
      '-inform',
      'DER',
      '-in',
      path('ours.enveloped'),
      '-secretkey',
      kek.toString('hex'),
      '-secretkeyid',
      kekIdentifier.toString('hex'),
      '-out',
      path('ours.kek.inner'),
    ]);
    await verify('ours.kek.inner', 'ours.kek.txt');
    expect(readFileSync(path('ours.kek.txt'))).toEqual(content);
  }, 60_000);

  it('refuses: altered content, other signer inside, not for us, a wrong KEK, oversize — each with its reason', async () => {
    const content = Buffer.from('the original');
    const sealed = await seal(content, sender, [{ kek, kekIdentifier }], new Date());
    const faultOf = (input: Buffer, keys: UnsealingKeys = recipientKeys, max = 1_000_000) => {
      try {
        unseal(input, keys, { maxBytes: max });
        return 'opened';
      } catch (error) {
        if (!(error instanceof SealedMessageError)) throw error;
        return error.fault;
      }
    };
    // The inner content sits encrypted; the outer SignedData's content is the EnvelopedData: flip a byte of it.
    const altered = Buffer.from(sealed);
    altered[Math.floor(altered.length / 2)]! ^= 0x01;
    expect(['bad-signature', 'malformed']).toContain(faultOf(altered));
    expect(faultOf(sealed, { keks: [{ identifier: randomBytes(20), key: kek }] })).toBe('not-for-us');
    expect(faultOf(sealed, { keks: [{ identifier: kekIdentifier, key: randomBytes(16) }] })).toBe('undecryptable');
    expect(faultOf(sealed, recipientKeys, 100)).toBe('too-large');
    // Addressed to bob's certificate, opened with another RSA key: the PKCS#1 v1.5 unwrap yields a random key (no
    // padding oracle), so the content does not decrypt (or, 1 time in 256, decrypts to garbage that is no SignedData).
    const toBob = await seal(content, sender, [{ certificate: recipientCertificate }], new Date());
    const wrongKey = { decryptionKeys: [{ certificate: recipientCertificate, privateKey: createPrivateKey(readFileSync(path('alice.key'), 'utf8')) }] };
    for (let attempt = 0; attempt < 5; attempt += 1) expect(['undecryptable', 'malformed']).toContain(faultOf(toBob, wrongKey));

    // Inner signed by mallory, outer by alice: the sender would be ambiguous.
    await run('openssl', [
      'cms',
      '-sign',
      '-binary',
      '-nodetach',
      '-in',
      path('content.xml'),
      '-signer',
      path('mallory.pem'),
      '-inkey',
      path('mallory.key'),
      '-outform',
      'DER',
      '-out',
      path('mixed.1'),
    ]);
    await run('openssl', [
      'cms',
      '-encrypt',
      '-binary',
      '-aes128',
      '-inform',
      'DER',
      '-in',
      path('mixed.1'),
      '-recip',
      path('bob.pem'),
      '-outform',
      'DER',
      '-out',
      path('mixed.2'),
    ]);
    await run('openssl', [
      'cms',
      '-sign',
      '-binary',
      '-nodetach',
      '-in',
      path('mixed.2'),
      '-signer',
      path('alice.pem'),
      '-inkey',
      path('alice.key'),
      '-outform',
      'DER',
      '-out',
      path('mixed.3'),
    ]);
    expect(faultOf(readFileSync(path('mixed.3')))).toBe('signers-differ');
    expect(other.certificate.equals(sender.certificate)).toBe(false);
  }, 60_000);

  it('any byte string gets a SealedMessageError, never another failure (fuzzed and truncated)', async () => {
    const sealed = await seal(Buffer.from('x'.repeat(200)), sender, [{ certificate: recipientCertificate }], new Date());
    fc.assert(
      fc.property(fc.integer({ min: 0, max: sealed.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.boolean(), (at, value, truncate) => {
        const input = truncate ? sealed.subarray(0, at) : Buffer.from(sealed);
        if (!truncate) input[at] = value;
        try {
          unseal(input, recipientKeys, limits);
        } catch (error) {
          if (!(error instanceof SealedMessageError)) throw error;
        }
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        expect(() => unseal(Buffer.from(bytes), recipientKeys, limits)).toThrow(SealedMessageError);
      }),
      { numRuns: 300 },
    );
  });
});
