import { issueSamplePersonCertificate } from '../support/issued-certificates.js';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { CertificateList } from '@peculiar/asn1-x509';
import pino from 'pino';
import { toPem } from '../../src/ca/x509/index.js';
import { createPlatform, type Platform } from '../../src/composition.js';
import { loadConfig } from '../../src/config/config.js';
import { certificateRegistry } from '../../src/storage/certificate-registry.js';
import { startServerProcess } from '../support/etk-server-process.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { testEngine } from '../support/test-database.js';

/**
 * OCSP and the CRL never disagree, in any process: a revocation committed anywhere replaces every process's pre-signed
 * "good" at once (LISTEN/NOTIFY), and the CRL each one serves lists it. On PostgreSQL two real server processes run on
 * one database; PGlite cannot be shared between processes, so there two complete platforms (own caches, own LISTEN)
 * run in this process on one database.
 */

const run = promisify(execFile);
const NOTIFICATION_DEADLINE_MS = 2_000;

interface Server {
  readonly name: string;
  post(path: string, body: Buffer): Promise<Buffer>;
  get(path: string): Promise<Buffer>;
}

let t: TestPlatform;
let files: string;
const servers: Server[] = [];
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  t = await startTestPlatform();
  files = mkdtempSync(join(tmpdir(), 'ocsp-coherence-'));
  if (testEngine === 'postgres') {
    for (const name of ['server A', 'server B']) {
      const server = await startServerProcess({ DATABASE_URL: t.database.url!, DATA_DIR: t.dataDir, ENVIRONMENT: t.config.environment });
      stops.push(() => server.stop());
      servers.push({
        name,
        post: async (path, body) =>
          Buffer.from(
            await (await fetch(`${server.baseUrl}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/ocsp-request' } })).arrayBuffer(),
          ),
        get: async (path) => Buffer.from(await (await fetch(`${server.baseUrl}${path}`)).arrayBuffer()),
      });
    }
  } else {
    for (const name of ['platform A', 'platform B']) {
      const config = loadConfig({ DATA_DIR: t.dataDir, LOG_LEVEL: 'silent', PORT: '0', ADMIN_PORT: 'off' });
      const platform: Platform = await createPlatform(config, pino({ level: 'silent' }), { database: t.database.db, clock: t.clock });
      stops.push(() => platform.close());
      servers.push({
        name,
        post: async (url, payload) =>
          (await platform.app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/ocsp-request' } })).rawPayload,
        get: async (url) => (await platform.app.inject({ method: 'GET', url })).rawPayload,
      });
    }
  }
}, 120_000);

afterAll(async () => {
  for (const stop of stops) await stop();
  await t?.close();
  if (files) rmSync(files, { recursive: true, force: true });
});

function statusOf(der: Buffer): 'good' | 'revoked' | 'unknown' {
  const response = AsnConvert.parse(der, OCSPResponse);
  expect(response.responseStatus).toBe(0);
  const single = AsnConvert.parse(response.responseBytes!.response.buffer, BasicOCSPResponse).tbsResponseData.responses[0]!.certStatus;
  return single.revoked ? 'revoked' : single.unknown === null ? 'unknown' : 'good';
}

function crlLists(der: Buffer, serialHex: string): boolean {
  const crl = AsnConvert.parse(der, CertificateList);
  return (crl.tbsCertList.revokedCertificates ?? []).some(
    (entry) => Buffer.from(entry.userCertificate).toString('hex').replace(/^0+/, '') === serialHex.replace(/^0+/, ''),
  );
}

describe(
  testEngine === 'postgres' ? 'OCSP coherence: two server processes on one PostgreSQL database' : 'OCSP coherence: two platforms on one PGlite database',
  () => {
    it('a revocation committed by another process turns every pre-signed "good" into "revoked", and every CRL lists it', async () => {
      const issued = await issueSamplePersonCertificate(t.platform.services.issuer, t.database.db, t.clock.now(), 950);
      writeFileSync(join(files, 'issuing.pem'), toPem(t.platform.services.ca.issuing.cert));
      writeFileSync(join(files, 'leaf.pem'), toPem(issued.der));
      await run('openssl', ['ocsp', '-issuer', join(files, 'issuing.pem'), '-cert', join(files, 'leaf.pem'), '-no_nonce', '-reqout', join(files, 'req.der')]);
      const request = readFileSync(join(files, 'req.der'));

      for (const server of servers) expect(statusOf(await server.post('/ocsp', request))).toBe('good');
      // White-box: revoke behind the caches' back (no NOTIFY). Every server still serves its pre-signed "good"...
      await t.database.db.query('UPDATE issued_certificates SET revoked_at = now(), revocation_reason = $2 WHERE id = $1', [issued.id, 'keyCompromise']);
      for (const server of servers) expect(statusOf(await server.post('/ocsp', request))).toBe('good');
      await t.database.db.query('UPDATE issued_certificates SET revoked_at = NULL, revocation_reason = NULL WHERE id = $1', [issued.id]);

      // ...until a revocation is committed the way CertRA does it: every server answers revoked at once.
      const started = Date.now();
      await t.database.db.transaction((tx) => certificateRegistry.revoke(tx, issued.id, t.clock.now(), 'keyCompromise'));
      for (const server of servers) {
        while (statusOf(await server.post('/ocsp', request)) !== 'revoked') {
          if (Date.now() - started > NOTIFICATION_DEADLINE_MS) throw new Error(`${server.name} still answers good after ${NOTIFICATION_DEADLINE_MS} ms`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(crlLists(await server.get('/crl/issuing-ca.crl'), issued.serialHex)).toBe(true);
      }
    }, 60_000);
  },
);
