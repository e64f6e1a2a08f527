import { issueSamplePersonCertificate } from '../support/issued-certificates.js';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import fc from 'fast-check';
import { toPem } from '../../src/ca/x509/index.js';
import type { IssuedRecord } from '../../src/services/certificate-issuer.js';
import { certificateRegistry } from '../../src/storage/certificate-registry.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { OID } from '../../src/x509/oids.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { testEngine } from '../support/test-database.js';

const run = promisify(execFile);

/** The responseStatus of a DER OCSPResponse, and its BasicOCSPResponse when successful. */
function decode(der: Buffer): { status: number; basic: BasicOCSPResponse | undefined } {
  const response = AsnConvert.parse(der, OCSPResponse);
  const basic = response.responseBytes ? AsnConvert.parse(response.responseBytes.response.buffer, BasicOCSPResponse) : undefined;
  return { status: response.responseStatus, basic };
}

describe(`OCSP responder over HTTP on ${testEngine} (checked by openssl ocsp)`, () => {
  let t: TestPlatform;
  let url: string;
  let files: string;
  let good: IssuedRecord;
  let revoked: IssuedRecord;
  let slot = 900;

  const issue = () => issueSamplePersonCertificate(t.platform.services.issuer, t.database.db, t.clock.now(), slot++);
  const write = (name: string, der: Buffer) => {
    const path = join(files, name);
    writeFileSync(path, toPem(der));
    return path;
  };
  const ocsp = async (args: string[]) => {
    const { stdout, stderr } = await run('openssl', [
      'ocsp',
      '-url',
      url,
      '-resp_text',
      '-issuer',
      join(files, 'issuing.pem'),
      '-CAfile',
      join(files, 'chain.pem'),
      ...args,
    ]);
    return { stdout, stderr };
  };
  const post = async (body: Uint8Array, contentType = 'application/ocsp-request') => {
    const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': contentType } });
    return { response, der: Buffer.from(await response.arrayBuffer()) };
  };

  beforeAll(async () => {
    t = await startTestPlatform();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/ocsp`;
    files = mkdtempSync(join(tmpdir(), 'ocsp-e2e-'));
    const { ca } = t.platform.services;
    write('issuing.pem', ca.issuing.cert);
    write('root.pem', ca.root.cert);
    writeFileSync(join(files, 'chain.pem'), toPem(ca.issuing.cert) + toPem(ca.root.cert));
    writeFileSync(join(files, 'root-only.pem'), toPem(ca.root.cert));
    write('responder.pem', (await t.platform.services.ocsp.responderCertificate('issuing'))!);
    write('citizen.pem', ca.citizenCa!.cert);
    good = await issue();
    revoked = await issue();
    write('good.pem', good.der);
    write('revoked.pem', revoked.der);
    await certificateRegistry.revoke(t.database.db, revoked.id, new Date('2026-01-02T03:04:05Z'), 'keyCompromise');
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    if (files) rmSync(files, { recursive: true, force: true });
  });

  it('names the responder in the AIA of what it issues, and signs with a delegated responder certificate', async () => {
    const certificate = parseCertificate(good.der);
    const aia = certificate.extensions?.find((extension) => extension.oid === OID.authorityInfoAccess);
    expect(aia).toBeDefined();
    expect(Buffer.from(aia!.value).toString('latin1')).toContain(`${t.platform.services.ca.publicationUrl}/ocsp`);
    const responder = parseCertificate((await t.platform.services.ocsp.responderCertificate('issuing'))!);
    expect(responder.extendedKeyUsage).toContain('1.3.6.1.5.5.7.3.9');
    expect(responder.extensions?.some((extension) => extension.oid === OID.ocspNoCheck)).toBe(true);
    expect(responder.issuerDn).toBe(parseCertificate(t.platform.services.ca.issuing.cert).subjectDn);
    expect(responder.notAfter.getTime() - responder.notBefore.getTime()).toBe(7 * 86_400_000);
  });

  it('answers good for an issued certificate, with a nonce, verified through the delegation to our root', async () => {
    const { stdout, stderr } = await ocsp(['-cert', join(files, 'good.pem')]);
    expect(stdout).toMatch(/good\.pem: good/);
    expect(stdout).toMatch(/Response Extensions:\s+OCSP Nonce/);
    expect(stderr).toContain('Response verify OK');
    expect(stderr).not.toMatch(/WARNING/i);
  });

  it('answers revoked with the revocation time and reason, SHA-1 and SHA-256 CertIDs, pinned with -VAfile', async () => {
    for (const digest of ['-sha1', '-sha256']) {
      const { stdout, stderr } = await ocsp([digest, '-no_nonce', '-cert', join(files, 'revoked.pem'), '-VAfile', join(files, 'responder.pem')]);
      expect(stdout).toMatch(/revoked\.pem: revoked/);
      expect(stdout).toContain('Reason: keyCompromise');
      expect(stdout).toContain('Revocation Time: Jan  2 03:04:05 2026 GMT');
      expect(stdout).toContain(digest === '-sha1' ? 'Hash Algorithm: sha1' : 'Hash Algorithm: sha256');
      expect(stderr).toContain('Response verify OK');
    }
  });

  it('answers several certificates in one request, and unknown for a serial it never issued', async () => {
    const { stdout, stderr } = await ocsp(['-cert', join(files, 'good.pem'), '-cert', join(files, 'revoked.pem'), '-serial', '0x0123456789abcdef']);
    expect(stdout).toMatch(/good\.pem: good/);
    expect(stdout).toMatch(/revoked\.pem: revoked/);
    expect(stdout).toMatch(/0x0123456789abcdef: unknown/);
    expect(stderr).toContain('Response verify OK');
  });

  it("answers for the hierarchy's own service certificates too: the ETK-RA signer, and the issuing CA (from the root)", async () => {
    write('etk-ra.pem', t.platform.services.ca.etkRa.cert);
    const etkRa = await ocsp(['-cert', join(files, 'etk-ra.pem')]);
    expect(etkRa.stdout).toMatch(/etk-ra\.pem: good/);
    expect(etkRa.stderr).toContain('Response verify OK');
    const issuing = await run('openssl', [
      'ocsp',
      '-url',
      url,
      '-issuer',
      join(files, 'root.pem'),
      '-cert',
      join(files, 'issuing.pem'),
      '-CAfile',
      join(files, 'root-only.pem'),
    ]);
    expect(issuing.stdout).toMatch(/issuing\.pem: good/);
    expect(issuing.stderr).toContain('Response verify OK');
  });

  it('answers unauthorized for a CA it does not serve', async () => {
    const { stdout } = await run('openssl', ['ocsp', '-url', url, '-resp_text', '-issuer', join(files, 'citizen.pem'), '-serial', '1', '-noverify']).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout }),
    );
    expect(stdout).toContain('Responder Error: unauthorized (6)');
  });

  it('serves nonce-less answers pre-signed (same bytes, RFC 5019 caching headers on GET) and replaces them at revocation', async () => {
    await run('openssl', ['ocsp', '-issuer', join(files, 'issuing.pem'), '-cert', join(files, 'good.pem'), '-no_nonce', '-reqout', join(files, 'req.der')]);
    const request = readFileSync(join(files, 'req.der'));
    const first = await post(request);
    const second = await post(request);
    expect(first.response.headers.get('content-type')).toBe('application/ocsp-response');
    expect(second.der.equals(first.der)).toBe(true);

    // GET with the standard alphabet URL-encoded (RFC 6960 A.1), and with base64url.
    const viaGet = await fetch(`${url}/${encodeURIComponent(request.toString('base64'))}`);
    expect(Buffer.from(await viaGet.arrayBuffer()).equals(first.der)).toBe(true);
    expect(viaGet.headers.get('cache-control')).toMatch(/^max-age=\d+, public, no-transform, must-revalidate$/);
    expect(viaGet.headers.get('etag')).toMatch(/^"[0-9a-f]{40}"$/);
    const viaGetUrlSafe = await fetch(`${url}/${request.toString('base64url')}`);
    expect(Buffer.from(await viaGetUrlSafe.arrayBuffer()).equals(first.der)).toBe(true);

    const single = decode(first.der).basic!.tbsResponseData.responses[0]!;
    expect(single.certStatus.good).toBeNull();
    expect(single.nextUpdate!.getTime() - single.thisUpdate.getTime()).toBe(24 * 3600 * 1000);

    // Revocation: the pre-signed "good" is dropped at once (the NOTIFY the CRL publisher follows too).
    await certificateRegistry.revoke(t.database.db, good.id, t.clock.now(), 'superseded');
    let revoked: { revocationReason?: { reason: number } } | undefined;
    for (let attempt = 0; attempt < 50 && !revoked; attempt++) {
      const answer = decode((await post(request)).der).basic!.tbsResponseData.responses[0]!;
      if (answer.certStatus.revoked) revoked = answer.certStatus.revoked;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // superseded is CRLReason 4 (RFC 5280 §5.3.1).
    expect(revoked?.revocationReason?.reason).toBe(4);
    const crl = await fetch(url.replace('/ocsp', '/crl/issuing-ca.crl'));
    const crlFile = join(files, 'issuing.crl');
    writeFileSync(crlFile, Buffer.from(await crl.arrayBuffer()));
    const { stdout } = await run('openssl', ['crl', '-inform', 'DER', '-in', crlFile, '-noout', '-text']);
    expect(stdout.toUpperCase()).toContain(parseCertificate(good.der).serialNumberHex.toUpperCase().replace(/^0+/, ''));
  });

  it('never serves an answer past its nextUpdate: after half the period the answer is signed again', async () => {
    await run('openssl', ['ocsp', '-issuer', join(files, 'issuing.pem'), '-cert', join(files, 'revoked.pem'), '-no_nonce', '-reqout', join(files, 'req2.der')]);
    const request = readFileSync(join(files, 'req2.der'));
    for (let hour = 0; hour < 30; hour += 3) {
      const now = t.clock.now();
      const basic = decode((await post(request)).der).basic!;
      const single = basic.tbsResponseData.responses[0]!;
      expect(single.nextUpdate!.getTime()).toBeGreaterThan(now.getTime() + 11 * 3600 * 1000);
      expect(single.thisUpdate.getTime()).toBeLessThanOrEqual(now.getTime());
      t.clock.advance(3 * 3600 * 1000);
    }
  });

  it('renews its responder certificate before it expires, and answers stay verifiable across the change', async () => {
    const before = parseCertificate((await t.platform.services.ocsp.responderCertificate('issuing'))!);
    t.clock.set(new Date(before.notAfter.getTime() - 36 * 3600 * 1000)); // inside the 2-day renewal margin
    await t.platform.services.ocsp.respond(Buffer.alloc(0)); // any traffic; renewal runs in the background
    let after = before;
    for (let attempt = 0; attempt < 100 && after.serialNumberHex === before.serialNumberHex; attempt++) {
      await t.platform.services.ocsp.respond(readFileSync(join(files, 'req.der')));
      after = parseCertificate((await t.platform.services.ocsp.responderCertificate('issuing'))!);
      if (after.serialNumberHex === before.serialNumberHex) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(after.serialNumberHex).not.toBe(before.serialNumberHex);
    expect(after.spkiDer.equals(before.spkiDer)).toBe(true); // same key in custody, new certificate
    expect(after.notAfter.getTime()).toBeGreaterThan(before.notAfter.getTime());
    // Verified at the platform's (moved) time: the new responder certificate starts then.
    const attime = String(Math.floor(t.clock.now().getTime() / 1000) + 60);
    const { stdout, stderr } = await ocsp(['-cert', join(files, 'revoked.pem'), '-no_nonce', '-attime', attime]);
    expect(stderr).toContain('Response verify OK');
    // The response carries the new responder certificate.
    expect(stdout.replace(/\s/g, '')).toContain(after.der.toString('base64'));
  });

  it('answers malformedRequest, with HTTP 200, to anything that is not an OCSP request (fuzzed and truncated)', async () => {
    await run('openssl', ['ocsp', '-issuer', join(files, 'issuing.pem'), '-cert', join(files, 'good.pem'), '-reqout', join(files, 'req3.der')]);
    const valid = readFileSync(join(files, 'req3.der'));
    const MALFORMED = Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x01]);
    for (const length of [0, 1, 2, 10, valid.length - 1]) {
      const { response, der } = await post(valid.subarray(0, length));
      expect(response.status).toBe(200);
      expect(der).toEqual(MALFORMED);
    }
    expect((await post(Buffer.concat([valid, Buffer.from([0])]))).der).toEqual(MALFORMED);
    expect((await post(Buffer.from('not der'), 'text/plain')).der).toEqual(MALFORMED);
    expect((await post(Buffer.alloc(20_000, 0x30))).der).toEqual(MALFORMED);
    // A URL that is not even percent-encoding is refused by the HTTP router itself, as a client error.
    expect((await fetch(`${url}/%%%`)).status).toBe(400);
    expect(Buffer.from(await (await fetch(`${url}/AAAA`)).arrayBuffer())).toEqual(MALFORMED);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }), async (index, byte) => {
        const mutated = Buffer.from(valid);
        mutated[index] = byte;
        const { response, der } = await post(mutated);
        expect(response.status).toBe(200);
        // A flipped byte may still be a valid request (a serial or a nonce byte): never anything but an OCSP response.
        expect([0, 1, 6]).toContain(decode(der).status);
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});
