/**
 * OCSP responder throughput: `npx tsx bench/ocsp.bench.ts` (npm run bench:ocsp).
 *
 * 1. A fresh PostgreSQL database (on DATABASE_URL's server, default postgres://postgres@127.0.0.1:5432/test) gets the
 *    platform's schema, its development CA and its delegated OCSP responder certificate, then BENCH_CERTIFICATES
 *    (default 100,000) issued-certificate rows of the issuing CA, one in ten revoked (keyCompromise). The rows are
 *    synthetic: serial, issuer, validity and revocation as the registry keeps them, without a signed certificate
 *    behind each (the responder reads only those columns).
 * 2. OpenSSL's own responder (`openssl ocsp -index … -port …`) is started on the same data: an index.txt written from
 *    the same rows, signing with the same responder certificate and key.
 * 3. Both servers are one process pinned to CPU 0; a closed-loop node client (CPU 1; bench/support/closed-loop-load.mjs:
 *    wrk never completes a request with OpenSSL's HTTP/1.0 responder) POSTs nonce-less
 *    requests (SHA-1 CertIDs, as the JDK and OpenSSL send) for random serials of the 100,000 (so about 10 % revoked),
 *    32 connections, BENCH_SECONDS (10) per run after a 3 s warm-up, BENCH_ROUNDS (3) alternating rounds; medians.
 * 4. Prints responses/s, p50/p99, server CPU per response and RSS, then whether each target is met: ours ≥ 3× OpenSSL's
 *    responder, p99 < 10 ms, RSS < 250 MB. Exit code 1 when a target is missed.
 *
 * Before timing, both servers are asked about a good and a revoked serial and must answer them correctly, and every
 * distinct request is sent once (the platform signs each certificate's answer on first demand, then serves it).
 * The client runs on one core and may saturate before the platform does: "busy" shows the server's share of its CPU.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicOCSPResponse, CertID, OCSPRequest, OCSPResponse, Request, TBSRequest } from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import pg from 'pg';
import pino from 'pino';
import { certIdHashesOf } from '../src/ca/ocsp/ocsp-messages.js';
import { toPem } from '../src/ca/x509/index.js';
import { createServices } from '../src/composition.js';
import { loadConfig } from '../src/config/config.js';
import { formatKeyId } from '../src/domain/key-id.js';
import { projectRoot } from '../src/project-paths.js';
import { OID } from '../src/x509/oids.js';
import { freePort } from '../test/support/issued-certificates.js';
import {
  createBenchDatabase,
  dropBenchDatabase,
  measureRounds,
  reportTargets,
  fmt,
  hasTaskset,
  closedLoopLoad,
  hasWrk,
  type LoadResult,
  type Variant,
  load,
  pick,
  pinned,
  queryOnce,
  rssOf,
  type Server,
  startServer,
} from './support/load.js';

const CERTIFICATES = Number(process.env.BENCH_CERTIFICATES ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 3;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REQUEST_VARIETY = 2_000;
const OCSP_LOAD = { connections: 32, headers: { 'Content-Type': 'application/ocsp-request' } };
const TARGETS = { ratioToOpenssl: 3, p99Ms: 10, rssMb: 250 };

interface Row {
  readonly serialHex: string;
  readonly revoked: boolean;
}

/** Row i: a 128-bit serial (leading nibble 1, so one spelling in both index and registry), revoked when i % 10 = 0. */
const rowOf = (index: number): Row => ({ serialHex: `1${randomBytes(16).toString('hex').slice(1)}`, revoked: index % 10 === 0 });

async function seedRows(databaseUrl: string, issuerKeyId: string, rows: readonly Row[]): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (let start = 0; start < rows.length; start += 10_000) {
      const batch = rows.slice(start, start + 10_000);
      await client.query(
        `INSERT INTO issued_certificates (issuer_key_id, serial_hex, subject_key_id, subject_dn, profile, not_before, not_after,
           certificate_der, issued_at, revoked_at, revocation_reason, intent_state, intent_at, signed_at)
         SELECT $1, s.serial, upper(md5(s.serial)), 'CN=bench ' || s.serial, 'ehealth-natural-person', now() - interval '1 day',
           now() + interval '1 year', '\\x3000'::bytea, now(), CASE WHEN s.revoked THEN now() - interval '1 hour' END,
           CASE WHEN s.revoked THEN 'keyCompromise' END, 'issued', now(), now()
         FROM unnest($2::text[], $3::boolean[]) AS s(serial, revoked)`,
        [issuerKeyId, batch.map((row) => row.serialHex), batch.map((row) => row.revoked)],
      );
    }
  } finally {
    await client.end();
  }
}

/** OpenSSL's CA database: V/R, expiry, revocation "time,reason", serial (upper-case hex), file, subject. */
function opensslIndex(rows: readonly Row[]): string {
  const stamp = (date: Date) => `${date.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`;
  const expiry = stamp(new Date(Date.now() + 365 * 86_400_000));
  const revokedAt = stamp(new Date(Date.now() - 3_600_000));
  return rows
    .map((row) =>
      [
        row.revoked ? 'R' : 'V',
        expiry,
        row.revoked ? `${revokedAt},keyCompromise` : '',
        row.serialHex.toUpperCase(),
        'unknown',
        `/CN=bench ${row.serialHex}`,
      ].join('\t'),
    )
    .join('\n')
    .concat('\n');
}

function ocspRequest(issuer: { subjectDer: Buffer; spkiDer: Buffer }, serialHex: string): Buffer {
  const { nameHashHex, keyHashHex } = certIdHashesOf(issuer, 'SHA-1');
  const certId = new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: OID.sha1, parameters: null }),
    issuerNameHash: new OctetString(Buffer.from(nameHashHex, 'hex')),
    issuerKeyHash: new OctetString(Buffer.from(keyHashHex, 'hex')),
    serialNumber: new Uint8Array(Buffer.from(serialHex, 'hex')).buffer,
  });
  return Buffer.from(AsnConvert.serialize(new OCSPRequest({ tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert: certId })] }) })));
}

function statusOf(der: Buffer): string {
  const response = AsnConvert.parse(der, OCSPResponse);
  if (response.responseStatus !== 0) return `error ${response.responseStatus}`;
  const status = AsnConvert.parse(response.responseBytes!.response.buffer, BasicOCSPResponse).tbsResponseData.responses[0]!.certStatus;
  return status.revoked ? 'revoked' : status.unknown === null ? 'unknown' : 'good';
}

/** OpenSSL's responder, one process pinned to CPU 0, ready once it answers a request. */
async function startOpensslResponder(files: Record<'index' | 'issuer' | 'certificate' | 'key', string>, probe: Buffer): Promise<Server> {
  const port = await freePort();
  const [command, args] = pinned(0, 'openssl', [
    'ocsp',
    '-index',
    files.index,
    '-port',
    String(port),
    '-rsigner',
    files.certificate,
    '-rkey',
    files.key,
    '-CA',
    files.issuer,
    '-nmin',
    '1440',
  ]);
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await fetch(url, { method: 'POST', body: probe, headers: { 'content-type': 'application/ocsp-request' } });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`openssl ocsp did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    name: 'openssl ocsp',
    child,
    url,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const databaseName = `ocspbench_${randomBytes(4).toString('hex')}`;
  const databaseUrl = new URL(await createBenchDatabase(serverUrl, databaseName));
  const dataDir = mkdtempSync(join(tmpdir(), 'ocspbench-'));
  const servers: Server[] = [];
  let failed = false;
  try {
    process.stdout.write(
      `OCSP benchmark: ${cpus().length} CPU(s) (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
    );
    const env = { DATABASE_URL: databaseUrl.toString(), DATA_DIR: dataDir };
    const services = await createServices(loadConfig({ ...env, LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
    let issuer: { subjectDer: Buffer; spkiDer: Buffer };
    const files = {
      index: join(dataDir, 'index.txt'),
      issuer: join(dataDir, 'issuing.pem'),
      certificate: join(dataDir, 'responder.pem'),
      key: join(dataDir, 'responder.key'),
    };
    const rows = Array.from({ length: CERTIFICATES }, (_, index) => rowOf(index));
    try {
      await services.ocsp.start();
      issuer = services.ca.issuing.fields;
      writeFileSync(files.issuer, toPem(services.ca.issuing.cert));
      writeFileSync(files.certificate, toPem((await services.ocsp.responderCertificate('issuing'))!));
      process.stdout.write(`seeding ${fmt(CERTIFICATES)} issued certificates (1 in 10 revoked) into ${databaseName} ...\n`);
      await seedRows(databaseUrl.toString(), formatKeyId(services.ca.issuing.fields.subjectKeyIdentifier), rows);
      await services.ocsp.stop();
    } finally {
      await services.close();
    }
    // OpenSSL reads the responder key unencrypted: decrypt the development key with its passphrase file.
    const decrypt = spawnSync('openssl', [
      'pkey',
      '-in',
      join(dataDir, 'ca', 'ocsp-issuing.key.pem'),
      '-passin',
      `file:${join(dataDir, 'ca', 'passphrase')}`,
      '-out',
      files.key,
    ]);
    if (decrypt.status !== 0) throw new Error(`cannot decrypt the responder key: ${decrypt.stderr}`);
    writeFileSync(files.index, opensslIndex(rows));
    const [count] = (await queryOnce(databaseUrl.toString(), 'SELECT count(*)::int AS n FROM issued_certificates WHERE certificate_der IS NOT NULL')) as Array<{
      n: number;
    }>;
    process.stdout.write(`${fmt(count!.n)} issued certificates in PostgreSQL (with the responder certificates); ${fmt(rows.length)} in ${files.index}\n`);

    process.stdout.write('building dist/ (tsc -p tsconfig.build.json) ...\n');
    const build = spawnSync(join(projectRoot(), 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: projectRoot(), encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
    const ours = await startServer('platform', [join(projectRoot(), 'dist', 'src', 'server.js')], env, '/ocsp');
    servers.push(ours);
    const goodRow = rows.find((row) => !row.revoked)!;
    const revokedRow = rows.find((row) => row.revoked)!;
    const openssl = await startOpensslResponder(files, ocspRequest(issuer, goodRow.serialHex));
    servers.push(openssl);

    for (const server of [ours, openssl]) {
      for (const [row, expected] of [
        [goodRow, 'good'],
        [revokedRow, 'revoked'],
      ] as const) {
        const response = await fetch(server.url, { method: 'POST', body: ocspRequest(issuer, row.serialHex), headers: OCSP_LOAD.headers });
        const status = statusOf(Buffer.from(await response.arrayBuffer()));
        if (status !== expected) throw new Error(`${server.name} answers ${status} for a ${expected} serial`);
      }
    }
    const bodies = pick(rows, REQUEST_VARIETY).map((row) => ocspRequest(issuer, row.serialHex));
    process.stdout.write(
      `load: closed-loop node client (wrk cannot drive OpenSSL's HTTP/1.0 responder; both servers get the same client), ${OCSP_LOAD.connections} connections, ${fmt(REQUEST_VARIETY)} distinct nonce-less requests, ${SECONDS} s after ${WARMUP_SECONDS} s warm-up${hasTaskset ? ', server on CPU 0, load on CPU 1' : ''}\n\n`,
    );
    // The node client saturates its core before the platform does, and its own queueing then shows as latency: the
    // platform's p99 is also measured with wrk (C, one thread), which OpenSSL's responder cannot be driven by.
    const variants: Variant[] = [
      { name: 'openssl ocsp -index (signs every answer)', server: openssl, run: (seconds) => closedLoopLoad(openssl.url, bodies, seconds, dataDir, OCSP_LOAD) },
      { name: 'platform POST /ocsp (pre-signed, PostgreSQL)', server: ours, run: (seconds) => closedLoopLoad(ours.url, bodies, seconds, dataDir, OCSP_LOAD) },
      ...(hasWrk
        ? [{ name: 'platform POST /ocsp, driven by wrk', server: ours, run: (seconds: number) => load(ours.url, bodies, seconds, dataDir, OCSP_LOAD) }]
        : []),
    ];
    // Priming: every distinct request is answered once before timing, so the platform's first signature of each
    // certificate (what pre-signing saves afterwards) is not in the measured window. OpenSSL signs every answer anyway.
    for (let start = 0; start < bodies.length; start += 32) {
      await Promise.all(
        bodies.slice(start, start + 32).map((body) => fetch(ours.url, { method: 'POST', body, headers: OCSP_LOAD.headers }).then((r) => r.arrayBuffer())),
      );
    }
    const { runs, medians } = await measureRounds(variants, { rounds: ROUNDS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS });
    const [opensslResult, oursResult, oursByWrk] = medians as [LoadResult, LoadResult, LoadResult | undefined];
    const p99 = (oursByWrk ?? oursResult).p99Ms;
    const ratio = oursResult.requestsPerSecond / opensslResult.requestsPerSecond;
    const peak = rssOf(ours).peakMb;
    failed = reportTargets([
      [`platform ≥ ${TARGETS.ratioToOpenssl}× OpenSSL's responder, same client (${ratio.toFixed(2)}×)`, ratio >= TARGETS.ratioToOpenssl],
      [`platform p99 < ${TARGETS.p99Ms} ms (${p99.toFixed(2)} ms, ${oursByWrk ? 'wrk' : 'node client'})`, p99 < TARGETS.p99Ms],
      [`platform RSS < ${TARGETS.rssMb} MB (peak ${fmt(peak)} MB)`, peak < TARGETS.rssMb],
      ['no errors or non-200 answers from the platform', variants.slice(1).every((variant) => runs.get(variant.name)!.every((m) => m.result.errors === 0))],
    ]);
  } finally {
    for (const server of servers) await server.stop().catch(() => undefined);
    await dropBenchDatabase(serverUrl, databaseName);
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
