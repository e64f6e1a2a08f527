import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toPem } from './certificate.js';
import { buildCsr, checkCsrSignature, parseCsr } from './csr.js';
import { DerError } from './der.js';

const subject = [
  { type: 'C', value: 'BE' },
  { type: 'O', value: 'Federal Government' },
  { type: 'CN', value: 'SSIN=85073003328' },
] as const;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

function flipLastSignatureBit(der: Buffer): Buffer {
  const copy = Buffer.from(der);
  copy[copy.length - 1]! ^= 0x01;
  return copy;
}

describe('PKCS#10 requests', () => {
  it.each([
    ['RSA', rsa],
    ['P-256', ec],
  ] as const)('builds a %s CSR that OpenSSL verifies and that we parse and verify', (_name, key) => {
    const der = buildCsr(subject, key);
    const dir = mkdtempSync(join(tmpdir(), 'csr-'));
    try {
      writeFileSync(join(dir, 'req.pem'), toPem(der, 'CERTIFICATE REQUEST'));
      const out = execFileSync('openssl', ['req', '-in', join(dir, 'req.pem'), '-verify', '-noout', '-subject'], { encoding: 'utf8', stdio: 'pipe' });
      expect(out).toMatch(/C ?= ?BE, ?O ?= ?Federal Government, ?CN ?= ?SSIN=85073003328/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const csr = parseCsr(der);
    expect(csr.subject.map((a) => [a.type, a.value])).toEqual(subject.map((a) => [a.type, a.value]));
    expect(checkCsrSignature(csr)).toBe('valid');
  });

  it('parses and verifies a CSR made by OpenSSL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'csr-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-new',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          join(dir, 'k.pem'),
          '-subj',
          '/C=BE/OU=eHealth-platform Belgium/CN=SSIN=85073003328',
          '-outform',
          'DER',
          '-out',
          join(dir, 'r.der'),
        ],
        { stdio: 'pipe' },
      );
      const csr = parseCsr(readFileSync(join(dir, 'r.der')));
      expect(csr.subject.map((a) => a.value)).toEqual(['BE', 'eHealth-platform Belgium', 'SSIN=85073003328']);
      expect(checkCsrSignature(csr)).toBe('valid');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('detects a flipped signature bit', () => {
    expect(checkCsrSignature(parseCsr(flipLastSignatureBit(buildCsr(subject, rsa))))).toBe('invalid');
    expect(checkCsrSignature(parseCsr(flipLastSignatureBit(buildCsr(subject, ec))))).toBe('invalid');
  });

  it('still refuses a tampered copy of a request it has verified (checks are remembered by the exact bytes)', () => {
    const der = buildCsr(subject, rsa);
    expect(checkCsrSignature(parseCsr(der))).toBe('valid');
    expect(checkCsrSignature(parseCsr(Buffer.from(der)))).toBe('valid');
    expect(checkCsrSignature(parseCsr(flipLastSignatureBit(Buffer.from(der))))).toBe('invalid');
  });

  it('detects a modified subject (the signature covers it)', () => {
    const der = buildCsr(subject, rsa);
    const at = der.indexOf(Buffer.from('Federal'));
    der[at] = 'f'.charCodeAt(0);
    expect(checkCsrSignature(parseCsr(der))).toBe('invalid');
  });

  it('reports SHA-1 signatures as unsupported', () => {
    const dir = mkdtempSync(join(tmpdir(), 'csr-'));
    try {
      writeFileSync(join(dir, 'k.pem'), rsa.export({ type: 'pkcs8', format: 'pem' }));
      const der = execFileSync('openssl', ['req', '-new', '-key', join(dir, 'k.pem'), '-subj', '/CN=x', '-sha1', '-outform', 'DER'], { stdio: 'pipe' });
      expect(checkCsrSignature(parseCsr(der))).toBe('unsupported-algorithm');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses malformed DER', () => {
    const der = buildCsr(subject, rsa);
    expect(() => parseCsr(der.subarray(0, der.length - 1))).toThrow(DerError);
    expect(() => parseCsr(Buffer.concat([der, Buffer.from([0])]))).toThrow(DerError);
  });
});
