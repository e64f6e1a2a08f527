/**
 * KGSS throughput: `npx tsx bench/kgss.bench.ts` (npm run bench:kgss).
 *
 * 1. A fresh PostgreSQL database (on DATABASE_URL's server, default postgres://postgres@127.0.0.1:5432/test) with the
 *    platform's schema and development CA gets one client: an eHealth certificate of ours and its ETK (as EtkRA stores
 *    it). The server (dist/, SIGN_RESPONSES=true, one process pinned to CPU 0) publishes the KGSS's ETK at start.
 * 2. Before any timing: BENCH_KEYS (default 50) keys are created by GetNewKey, and REQUEST_VARIETY sealed GetNewKey
 *    and GetKey requests (the triple wrap to the KGSS's ETK, by the client's key) are made; GetKey and the signed
 *    GetEtk peer are WS-Security X.509 signed right before each run (their Timestamps live five minutes).
 * 3. Load from a separate process (wrk on CPU 1): 16 connections, BENCH_SECONDS (10) per run after a 3 s warm-up,
 *    BENCH_ROUNDS (3) alternating rounds of: signed GetEtk round trip (WS-Security in, signed response out: the peer),
 *    GetNewKey, GetKey. Medians.
 * 4. Where the time goes: the RSA operations each call costs (measured here, in this process, on the same keys:
 *    PKCS#1 signatures, verifications, the KGSS's raw RSA decryption, RSA-OAEP under the 3072-bit key-encryption key)
 *    next to the server's CPU time per call.
 * 5. Targets: GetKey ≥ 0.5× signed GetEtk round trips; server RSS < 250 MB. Exit code 1 when one is missed.
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { constants, createPublicKey, privateDecrypt, publicEncrypt, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { seal, unseal } from '../src/ca/etee/sealed-message.js';
import { parseEtk } from '../src/ca/etk/index.js';
import { generatePrivateKey, loadEncryptedKeyFile } from '../src/ca/keys/file-key.js';
import { createKeyObjectSigner } from '../src/ca/keys/key-signer.js';
import { createServices } from '../src/composition.js';
import { loadConfig } from '../src/config/config.js';
import { ssinCheckDigits } from '../src/identifiers/index.js';
import { projectRoot } from '../src/project-paths.js';
import { NS } from '../src/soap/namespaces.js';
import { wrapInEnvelope } from '../src/soap/envelope.js';
import { el } from '../src/xml/builder.js';
import { signEnvelopeWsSecurity } from '../src/xml/dsig/ws-security-sign.js';
import { seedHolderWithEtk } from './support/etk-seed.js';
import {
  createBenchDatabase,
  dropBenchDatabase,
  fmt,
  hasTaskset,
  hasWrk,
  load,
  measureRounds,
  preparedVariant,
  medianMeasurement,
  reportTargets,
  rssOf,
  type Server,
  startServer,
} from './support/load.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 3;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 16;
const KEYS = Number(process.env.BENCH_KEYS ?? 50);
const REQUEST_VARIETY = 300;
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'warn';
const TARGETS = { getKeyToSignedGetEtk: 0.5, rssMb: 250 };
const KGSS = NS.kgssProtocolV1;
const SOAP_LOAD = { connections: CONNECTIONS, headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '""' } };

interface Client {
  readonly key: KeyObject;
  readonly certificate: Buffer;
  readonly chain: readonly Buffer[];
  readonly encryptionKey: KeyObject;
  readonly etk: Buffer;
  readonly ssin: string;
}

/** The client: an eHealth certificate of ours and its ETK, stored as EtkRA stores them. */
async function seed(databaseUrl: string, dataDir: string): Promise<Client> {
  const config = loadConfig({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const context = await createServices(config, pino({ level: 'silent' }));
  try {
    const base = '850730900';
    const ssin = `${base}${ssinCheckDigits(base, 1900)}`;
    const identity = { type: 'SSIN', id: ssin, name: 'Bench Reader' };
    const key = generatePrivateKey('RSA');
    const encryptionKey = generatePrivateKey('RSA');
    const { certificate, etk } = await context.db.transaction((tx) =>
      seedHolderWithEtk(context, tx, identity, { authentication: key, encryption: encryptionKey }),
    );
    return { key, certificate, chain: context.issuer.chainWithoutRoot(), encryptionKey, etk, ssin };
  } finally {
    await context.close();
  }
}

const envelopeOf = (request: 'GetNewKeyRequest' | 'GetKeyRequest', sealed: Buffer) =>
  wrapInEnvelope(
    el(
      `kgss:${request}`,
      { 'xmlns:kgss': KGSS },
      el(
        `kgss:${request === 'GetNewKeyRequest' ? 'SealedNewKeyRequest' : 'SealedKeyRequest'}`,
        null,
        el('kgss:SealedContent', null, sealed.toString('base64')),
      ),
    ).markup,
  );

async function post(url: string, body: string): Promise<string> {
  const response = await fetch(url, { method: 'POST', body, headers: SOAP_LOAD.headers });
  return response.text();
}

/** Median time of `operation` in microseconds over `times` runs (after a few warm-up runs). */
function microsOf(operation: () => unknown, times = 200): number {
  for (let i = 0; i < 10; i++) operation();
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = process.hrtime.bigint();
    operation();
    samples.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const databaseName = `kgssbench_${randomBytes(4).toString('hex')}`;
  const databaseUrl = new URL(await createBenchDatabase(serverUrl, databaseName));
  databaseUrl.pathname = `/${databaseName}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'kgssbench-'));
  const servers: Server[] = [];
  let failed = false;
  try {
    process.stdout.write(
      `KGSS benchmark: ${cpus().length} CPU(s) (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
    );
    const client = await seed(databaseUrl.toString(), dataDir);
    process.stdout.write('building dist/ (tsc -p tsconfig.build.json) ...\n');
    const build = spawnSync(join(projectRoot(), 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: projectRoot(), encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
    const server = await startServer(
      'platform (SIGN_RESPONSES)',
      // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p": the server writes a V8 CPU profile when it stops.
      [...(process.env.BENCH_SERVER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []), join(projectRoot(), 'dist', 'src', 'server.js')],
      { DATABASE_URL: databaseUrl.toString(), DATA_DIR: dataDir, SIGN_RESPONSES: 'true' },
      '/EtkDepot/v1',
      LOG_LEVEL,
    );
    servers.push(server);
    const depotUrl = server.url;
    const kgssUrl = server.url.replace('/EtkDepot/v1', '/Kgss/v1');
    const getEtk = (type: string, value: string, applicationId?: string) =>
      wrapInEnvelope(
        el(
          'p:GetEtkRequest',
          { 'xmlns:p': NS.etkdepotProtocolV1 },
          el(
            'p:SearchCriteria',
            null,
            el(
              'p:Identifier',
              null,
              el('p:Type', null, type),
              el('p:Value', null, value),
              applicationId ? el('p:ApplicationID', null, applicationId) : undefined,
            ),
          ),
        ).markup,
      );
    const kgssEtkAnswer = await post(depotUrl, getEtk('CBE', '0809394427', 'KGSS'));
    const kgssEtk = Buffer.from(/<dep:ETK>([^<]+)<\/dep:ETK>/.exec(kgssEtkAnswer)?.[1] ?? '', 'base64');
    if (kgssEtk.length === 0) throw new Error(`no KGSS ETK in ETKDepot:\n${kgssEtkAnswer.slice(0, 500)}`);
    const kgssEncryption = parseEtk(kgssEtk).encryptionCertificate;
    const sender = { certificate: client.certificate, chain: client.chain, signer: createKeyObjectSigner(client.key, 'bench client') };
    const sealToKgss = (content: string) => seal(Buffer.from(content, 'utf8'), sender, [{ certificate: kgssEncryption }], new Date());
    const credential = `<AllowedReader><Namespace>urn:be:fgov:identification-namespace</Namespace><Name>urn:be:fgov:person:ssin</Name><Value>${client.ssin}</Value></AllowedReader>`;
    const newKeyContent = `<GetNewKeyRequestContent xmlns="${KGSS}">${credential}<ETK>${client.etk.toString('base64')}</ETK></GetNewKeyRequestContent>`;

    process.stdout.write(`creating ${KEYS} keys and ${REQUEST_VARIETY} sealed requests of each kind ...\n`);
    const newKeyBodies: string[] = [];
    for (let i = 0; i < REQUEST_VARIETY; i++) newKeyBodies.push(envelopeOf('GetNewKeyRequest', await sealToKgss(newKeyContent)));
    const keyIdentifiers: Buffer[] = [];
    for (let i = 0; i < KEYS; i++) {
      const answer = await post(kgssUrl, newKeyBodies[i]!);
      const sealed = /SealedContent>([^<]+)</.exec(answer)?.[1];
      if (!sealed) throw new Error(`GetNewKey failed:\n${answer.slice(0, 800)}`);
      const content = unseal(
        Buffer.from(sealed, 'base64'),
        { decryptionKeys: [{ certificate: parseEtk(client.etk).encryptionCertificate, privateKey: client.encryptionKey }] },
        { maxBytes: 1e6 },
      );
      keyIdentifiers.push(Buffer.from(/<NewKeyIdentifier>([^<]+)</.exec(content.content.toString('utf8'))![1]!, 'base64'));
    }
    const getKeyEnvelopes: string[] = [];
    for (let i = 0; i < REQUEST_VARIETY; i++) {
      const keyIdentifier = keyIdentifiers[i % keyIdentifiers.length]!;
      const content = `<GetKeyRequestContent xmlns="${KGSS}"><KeyIdentifier>${keyIdentifier.toString('base64')}</KeyIdentifier><ETK>${client.etk.toString('base64')}</ETK></GetKeyRequestContent>`;
      getKeyEnvelopes.push(envelopeOf('GetKeyRequest', await sealToKgss(content)));
    }
    const wss = (envelope: string) =>
      signEnvelopeWsSecurity(envelope, { key: client.key, certificate: client.certificate, mustUnderstand: true, timestampTtlSeconds: 280 });
    const signedGetEtkBodies = () => Array.from({ length: REQUEST_VARIETY }, () => wss(getEtk('SSIN', client.ssin)));
    const getKeyBodies = () => getKeyEnvelopes.map(wss);
    for (const [name, url, body, expected] of [
      ['signed GetEtk', depotUrl, signedGetEtkBodies()[0]!, '<Code>200</Code>'],
      ['GetKey', kgssUrl, getKeyBodies()[0]!, '<Code>200</Code>'],
      ['GetNewKey', kgssUrl, newKeyBodies[0]!, '<Code>200</Code>'],
    ] as const) {
      const answer = await post(url, body);
      if (!answer.includes(expected)) throw new Error(`${name} does not succeed:\n${answer.slice(0, 800)}`);
    }
    process.stdout.write(
      `load: ${hasWrk ? 'wrk' : 'autocannon'}, ${CONNECTIONS} connections, ${SECONDS} s after ${WARMUP_SECONDS} s warm-up${hasTaskset ? ', server on CPU 0, load on CPU 1' : ''}\n\n`,
    );

    const variant = (name: string, url: string, bodies: () => string[]) =>
      preparedVariant(name, server, bodies, (prepared, seconds) => load(url, prepared, seconds, dataDir, SOAP_LOAD));
    const names = [
      'signed GetEtk round trip (WS-Security in and out)',
      'KGSS GetNewKey (sealed in, sealed out)',
      'KGSS GetKey (WS-Security X.509, sealed in and out)',
    ];
    const { runs, medians } = await measureRounds(
      [variant(names[0]!, depotUrl, signedGetEtkBodies), variant(names[1]!, kgssUrl, () => newKeyBodies), variant(names[2]!, kgssUrl, getKeyBodies)],
      { rounds: ROUNDS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS },
    );
    const [signedGetEtk, getNewKey, getKey] = medians as [(typeof medians)[0], (typeof medians)[0], (typeof medians)[0]];
    const cpuOf = (name: string) => medianMeasurement(runs.get(name)!).cpuMicrosPerRequest;

    // Where the time goes: the RSA operations of one call, timed here on keys of the same sizes.
    const rsa2048 = client.key;
    const kek = await loadEncryptedKeyFile(
      join(dataDir, 'ca', 'kgss', 'kek.key.pem'),
      { passphraseEnv: 'P' },
      { P: readFileSync(join(dataDir, 'ca', 'passphrase'), 'utf8').trim() },
    );
    const data = randomBytes(64);
    const signature = sign('sha256', data, rsa2048);
    const rawBlock = publicEncrypt({ key: createPublicKey(rsa2048), padding: constants.RSA_PKCS1_PADDING }, randomBytes(16));
    const wrapped = publicEncrypt({ key: createPublicKey(kek), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, randomBytes(16));
    const cost = {
      sign: microsOf(() => sign('sha256', data, rsa2048)),
      verify: microsOf(() => verify('sha256', data, createPublicKey(rsa2048), signature)),
      decrypt: microsOf(() => privateDecrypt({ key: rsa2048, padding: constants.RSA_NO_PADDING }, rawBlock)),
      encrypt: microsOf(() => publicEncrypt({ key: createPublicKey(rsa2048), padding: constants.RSA_PKCS1_PADDING }, randomBytes(16))),
      kekWrap: microsOf(() => publicEncrypt({ key: createPublicKey(kek), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, randomBytes(16))),
      kekUnwrap: microsOf(() => privateDecrypt({ key: kek, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped), 50),
    };
    // The sealed-message code around those operations (CMS encoding and parsing with @peculiar/asn1-schema), timed the same way.
    const sampleSealed = await sealToKgss(newKeyContent);
    const sealMicros: number[] = [];
    for (let i = 0; i < 30; i++) {
      const started = process.hrtime.bigint();
      await seal(Buffer.from(newKeyContent), sender, [{ certificate: parseEtk(client.etk).encryptionCertificate }], new Date());
      sealMicros.push(Number(process.hrtime.bigint() - started) / 1000);
    }
    const sealCost = sealMicros.sort((a, b) => a - b)[15]!;
    const kgssKey = await loadEncryptedKeyFile(
      join(dataDir, 'ca', 'kgss', 'encryption.key.pem'),
      { passphraseEnv: 'P' },
      { P: readFileSync(join(dataDir, 'ca', 'passphrase'), 'utf8').trim() },
    );
    const unsealCost = microsOf(() => unseal(sampleSealed, { decryptionKeys: [{ certificate: kgssEncryption, privateKey: kgssKey }] }, { maxBytes: 1e6 }), 30);
    // Per call: unseal = 1 decryption + 2 verifications (outer, inner) + the sender's chain (cached after the first);
    // the ETK answered to = 1 verification of the ETK-RA signature and 1 of the encryption certificate (chains cached);
    // seal = 2 signatures + 1 encryption; GetKey verifies WS-Security. Keys are wrapped under a data key (AES): the KEK's
    // RSA operation happens once per process, not per call.
    const rsaNewKey = cost.decrypt + 2 * cost.verify + 2 * cost.verify + 2 * cost.sign + cost.encrypt;
    const rsaGetKey = cost.verify + cost.decrypt + 2 * cost.verify + 2 * cost.verify + 2 * cost.sign + cost.encrypt;
    process.stdout.write(
      `\nwhere the time goes (RSA operations per call, timed in this process; server CPU per call from /proc)\n` +
        `  RSA-2048: sign ${fmt(cost.sign)} µs, verify ${fmt(cost.verify)} µs, raw decrypt ${fmt(cost.decrypt)} µs, encrypt ${fmt(cost.encrypt)} µs; ` +
        `KEK RSA-3072 OAEP: wrap ${fmt(cost.kekWrap)} µs, unwrap ${fmt(cost.kekUnwrap)} µs (once per process: the data key)\n` +
        `  a sealed GetNewKey request: seal ${fmt(sealCost)} µs, unseal ${fmt(unsealCost)} µs, RSA included (ASN.1 encoding and parsing is the rest)\n` +
        `  GetNewKey: RSA ${fmt(rsaNewKey)} µs of ${fmt(cpuOf(names[1]!))} µs server CPU (${((rsaNewKey / cpuOf(names[1]!)) * 100).toFixed(0)} %)\n` +
        `  GetKey:    RSA ${fmt(rsaGetKey)} µs of ${fmt(cpuOf(names[2]!))} µs server CPU (${((rsaGetKey / cpuOf(names[2]!)) * 100).toFixed(0)} %)\n` +
        ceilingOf(cpuOf(names[0]!), cpuOf(names[2]!), cost),
    );
    const ratio = getKey.requestsPerSecond / signedGetEtk.requestsPerSecond;
    const peak = rssOf(server).peakMb;
    failed = reportTargets([
      [
        `GetKey ≥ ${TARGETS.getKeyToSignedGetEtk}× signed GetEtk round trips (${fmt(getKey.requestsPerSecond)}/s vs ${fmt(signedGetEtk.requestsPerSecond)}/s: ${ratio.toFixed(2)}×)`,
        ratio >= TARGETS.getKeyToSignedGetEtk,
      ],
      [`server RSS < ${TARGETS.rssMb} MB (peak ${fmt(peak)} MB)`, peak < TARGETS.rssMb],
      [`GetNewKey ${fmt(getNewKey.requestsPerSecond)}/s (printed, no target)`, true],
      ['no errors or non-200 answers', [...runs.values()].flat().every((m) => m.result.errors === 0)],
    ]);
  } finally {
    for (const server of servers) await server.stop().catch(() => undefined);
    await dropBenchDatabase(serverUrl, databaseName);
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

/**
 * What the peer ratio can be at best. A signed GetEtk costs one private-key operation (its response signature) plus
 * X, the rest of a WS-Security round trip; a GetKey costs three (the request's key decryption, the inner and outer
 * signatures of the sealed answer: the triple wrap allows no fewer), the same round trip, and the KGSS's own work
 * (unsealing, verifications, the key lookup and its audit record, sealing). Even at zero KGSS work the ratio is
 * (sign + X) / (2 sign + decrypt + X); the 0.5× target leaves the KGSS's own work 2 (sign + X) − (2 sign + decrypt + X).
 */
function ceilingOf(signedGetEtkCpu: number, getKeyCpu: number, cost: { sign: number; decrypt: number }): string {
  const roundTrip = signedGetEtkCpu - cost.sign;
  const privateOperations = 2 * cost.sign + cost.decrypt;
  const ceiling = signedGetEtkCpu / (privateOperations + roundTrip);
  const budget = 2 * signedGetEtkCpu - privateOperations - roundTrip;
  const spent = getKeyCpu - privateOperations - roundTrip;
  return (
    `  ceiling: a GetKey makes 3 private-key operations where a signed GetEtk makes 1; with no KGSS work at all it would reach ` +
    `${ceiling.toFixed(2)}× signed GetEtk. At 0.5× the KGSS's own work (unseal, 5 verifications, lookup and audit, seal) ` +
    `may cost ${fmt(Math.max(0, budget))} µs per call; it costs ${fmt(Math.max(0, spent))} µs\n`
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
