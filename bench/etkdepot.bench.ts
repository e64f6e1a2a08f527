/**
 * ETKDepot throughput: `npx tsx bench/etkdepot.bench.ts` (npm run bench:etkdepot).
 *
 * 1. A fresh PostgreSQL database (on DATABASE_URL's server, default postgres://postgres@127.0.0.1:5432/test) receives
 *    BENCH_ETKS (default 10,000) real ETKs: an eHealth certificate issued by the platform's CA for each identifier,
 *    its encryption certificate and the ETK CMS, stored as EtkRA stores them.
 * 2. Four servers: the platform built to dist/ (unsecured GetEtk), the same with SIGN_RESPONSES (signed variant), and
 *    a bare fastify route answering a static body of the size of a GetEtk response (the floor), which reads the same
 *    request body, each one process pinned to CPU 0 when taskset exists; and the platform with WORKERS=2, unpinned, on
 *    both cores (issue #17: ≥ 1.6× one worker; the load generator shares the cores, its CPU is printed as "rest").
 * 3. Load from a separate process (wrk, pinned to CPU 1; autocannon when wrk is missing): 32 connections, 10 s
 *    (BENCH_SECONDS) per run, after a 3 s warm-up, requests spread over random identifiers of the depot. BENCH_ROUNDS
 *    (default 3) rounds alternate the three variants; the targets use the medians.
 * 4. Prints requests/s, p50/p99, the server's CPU time per request, the hypervisor's steal time and each server's
 *    RSS, then whether each target is met:
 *    unsecured ≥ 1/3 of the bare route with p99 < 10 ms; signed round trips (WS-Security verify + signed response)
 *    ≥ 1,000/s; RSS < 250 MB. Exit code 1 when a target is missed.
 *
 * Servers log at LOG_LEVEL=warn (BENCH_LOG_LEVEL): one info line per SOAP call would measure the log pipe. Their
 * start-up log line ('… listening on port N', written at any level but silent) is what listeningPort waits for.
 * BENCH_KEEP=1 keeps the seeded database and DATA_DIR; BENCH_REUSE=<database>:<dir> measures again without seeding.
 * BENCH_SERVER_NODE_ARGS adds node arguments to the platform's servers (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p").
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { generatePrivateKey } from '../src/ca/keys/file-key.js';
import { ehealthNaturalPerson } from '../src/ca/profiles/index.js';
import { buildCsr, type DnSequence } from '../src/ca/x509/index.js';
import { createServices } from '../src/composition.js';
import { loadConfig } from '../src/config/config.js';
import { buildEhealthDn, cbeCheckDigits, ehealthDnAttributes, nihiiCheckDigits, ssinCheckDigits, type EhealthDnInput } from '../src/identifiers/index.js';
import { projectRoot } from '../src/project-paths.js';
import { NS } from '../src/soap/namespaces.js';
import { wrapInEnvelope } from '../src/soap/envelope.js';
import { el, textEl } from '../src/xml/builder.js';
import { signEnvelopeWsSecurity } from '../src/xml/dsig/ws-security-sign.js';
import { seedHolderWithEtk } from './support/etk-seed.js';
import {
  createBenchDatabase,
  dropBenchDatabase,
  measureRounds,
  preparedVariant,
  reportTargets,
  fmt,
  hasTaskset,
  hasWrk,
  load as loadWith,
  type LoadResult,
  pick,
  queryOnce,
  rssOf,
  type Server,
  startServer as startServerAt,
} from './support/load.js';

const ETK_COUNT = Number(process.env.BENCH_ETKS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 3;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 32;
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'warn';
const REQUEST_VARIETY = 2_000;
const TARGETS = { ratioToBare: 1 / 3, p99Ms: 10, signedPerSecond: 1_000, rssMb: 250, twoWorkersScaling: 1.6 };

interface Identity extends EhealthDnInput {}

// ---------------------------------------------------------------------------------------------------------------
// The bare server: plain JavaScript run by node itself (no TypeScript loader), the floor of a fastify POST route.

const BARE_SERVER_SOURCE = `
import Fastify from 'fastify';
const bytes = Number(process.env.BARE_BODY_BYTES);
const app = Fastify({ logger: false });
const body = '<soapenv:Envelope xmlns:soapenv="${NS.soap11}"><soapenv:Body>' + 'x'.repeat(Math.max(0, bytes - 80)) + '</soapenv:Body></soapenv:Envelope>';
app.addContentTypeParser(['text/xml'], { parseAs: 'string' }, (_request, payload, done) => done(null, payload));
app.post('/bare', async (_request, reply) => reply.type('text/xml; charset=utf-8').send(body));
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write('listening on port ' + app.server.address().port + '\\n');
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
`;

// ---------------------------------------------------------------------------------------------------------------
// Seeding.

function identityOf(index: number): Identity {
  if (index % 10 === 8) {
    const base = `0${String(1_000_000 + index).padStart(7, '0')}`;
    return { type: 'CBE', id: `${base}${cbeCheckDigits(base)}`, name: `Company ${index}` };
  }
  if (index % 10 === 9) {
    const base = String(100_000 + index).padStart(6, '0');
    return { type: 'NIHII-HOSPITAL', id: `${base}${nihiiCheckDigits(base)}`, name: `Hospital ${index}` };
  }
  // SSIN: a birth date per 900 people, then a sequence number.
  const born = new Date(Date.UTC(1950, 0, 1) + Math.floor(index / 900) * 86_400_000);
  const yymmdd = `${String(born.getUTCFullYear() % 100).padStart(2, '0')}${String(born.getUTCMonth() + 1).padStart(2, '0')}${String(born.getUTCDate()).padStart(2, '0')}`;
  const base = `${yymmdd}${String((index % 900) + 1).padStart(3, '0')}`;
  return { type: 'SSIN', id: `${base}${ssinCheckDigits(base, 1900)}`, name: `Person ${index}` };
}

async function seed(
  databaseUrl: string,
  dataDir: string,
  seedEtks: boolean,
): Promise<{ client: { key: KeyObject; certificate: Buffer }; identities: Identity[] }> {
  const config = loadConfig({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, LOG_LEVEL: 'silent', PORT: '0' });
  const context = await createServices(config, pino({ level: 'silent' }));
  try {
    // Key generation would dominate seeding: a few keys serve many certificates (lookups never look at keys).
    const authenticationKeys = Array.from({ length: 8 }, () => generatePrivateKey('RSA'));
    const encryptionKeys = Array.from({ length: 8 }, () => generatePrivateKey('RSA'));
    const identities: Identity[] = [];
    const started = performance.now();
    const batch = 100;
    if (!seedEtks) for (let index = 0; index < ETK_COUNT; index++) identities.push(identityOf(index));
    for (let from = 0; seedEtks && from < ETK_COUNT; from += batch) {
      await context.db.transaction(async (tx) => {
        for (let index = from; index < Math.min(ETK_COUNT, from + batch); index++) {
          const identity = identityOf(index);
          identities.push(identity);
          const authenticationKey = authenticationKeys[index % authenticationKeys.length]!;
          const encryptionKey = encryptionKeys[index % encryptionKeys.length]!;
          await seedHolderWithEtk(context, tx, identity, { authentication: authenticationKey, encryption: encryptionKey });
        }
      });
      if ((from + batch) % 1000 === 0) process.stdout.write(`  seeded ${from + batch} ETKs (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
    }
    // The WS-Security client of the signed variant: an eHealth certificate of ours.
    const clientKey = generatePrivateKey('RSA');
    const clientIdentity: Identity = { type: 'SSIN', id: identityOf(ETK_COUNT + 1).id, name: 'Bench Client' };
    const client = await context.db.transaction((tx) =>
      context.issuer.issueFromCsr(
        tx,
        {
          csrDer: buildCsr(
            [...ehealthDnAttributes(clientIdentity)].reverse().map((a) => ({ type: a.type, value: a.value })) as unknown as DnSequence,
            clientKey,
          ),
          expectedSubjectDn: buildEhealthDn(clientIdentity),
          profile: ehealthNaturalPerson,
          environment: config.environment,
          now: new Date(),
        },
        'bench',
      ),
    );
    return { client: { key: clientKey, certificate: client.der }, identities };
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Processes and load (bench/support/load.ts), shaped for SOAP.

const SOAP_LOAD = { connections: CONNECTIONS, headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '""' } };
const load = (url: string, bodies: readonly string[], seconds: number, workDir: string) => loadWith(url, bodies, seconds, workDir, SOAP_LOAD);
const startServer = (name: string, nodeArguments: string[], env: Record<string, string>, path: string, pinToFirstCpu = true) =>
  startServerAt(name, nodeArguments, env, path, LOG_LEVEL, pinToFirstCpu);

function getEtkEnvelope(identity: Identity): string {
  return wrapInEnvelope(
    el(
      'p:GetEtkRequest',
      { 'xmlns:p': NS.etkdepotProtocolV1 },
      el('p:SearchCriteria', null, el('p:Identifier', null, textEl('p:Type', identity.type), textEl('p:Value', identity.id))),
    ).markup,
  );
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  // BENCH_KEEP=1 keeps the seeded database and DATA_DIR; BENCH_REUSE=<database>:<dir> runs again on them (no seeding).
  const reuse = process.env.BENCH_REUSE?.split(':');
  const keep = process.env.BENCH_KEEP === '1' || reuse !== undefined;
  const databaseName = reuse?.[0] ?? `etkbench_${randomBytes(4).toString('hex')}`;
  const databaseUrl = new URL(reuse ? serverUrl : await createBenchDatabase(serverUrl, databaseName));
  databaseUrl.pathname = `/${databaseName}`;
  const dataDir = reuse?.[1] ?? mkdtempSync(join(tmpdir(), 'etkbench-'));
  const servers: Server[] = [];
  let failed = false;
  try {
    process.stdout.write(
      `ETKDepot benchmark: ${cpus().length} CPU(s) (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
    );
    process.stdout.write(reuse ? `reusing ${databaseName} and ${dataDir}\n` : `seeding ${fmt(ETK_COUNT)} ETKs into ${databaseName} ...\n`);
    const { client, identities } = await seed(databaseUrl.toString(), dataDir, !reuse);
    const [count] = (await queryOnce(databaseUrl.toString(), "SELECT count(*)::int AS n FROM etks WHERE status = 'ACTIVE'")) as Array<{ n: number }>;
    process.stdout.write(`${fmt(count!.n)} active ETKs in PostgreSQL\n`);

    const env = { DATABASE_URL: databaseUrl.toString(), DATA_DIR: dataDir };
    // The servers run the compiled JavaScript, as in production (npm start).
    process.stdout.write('building dist/ (tsc -p tsconfig.build.json) ...\n');
    const build = spawnSync(join(projectRoot(), 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: projectRoot(), encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
    const server = [...(process.env.BENCH_SERVER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []), join(projectRoot(), 'dist', 'src', 'server.js')];
    const unsecured = await startServer('platform', server, env, '/EtkDepot/v1');
    servers.push(unsecured);
    const signedServer = await startServer('platform (SIGN_RESPONSES)', server, { ...env, SIGN_RESPONSES: 'true' }, '/EtkDepot/v1');
    servers.push(signedServer);
    // Two worker processes, free to use both cores (which the load generator shares).
    const twoWorkers = await startServer('platform (WORKERS=2)', server, { ...env, WORKERS: '2' }, '/EtkDepot/v1', false);
    servers.push(twoWorkers);

    const unsignedBodies = pick(identities, REQUEST_VARIETY).map(getEtkEnvelope);
    const sample = await fetch(unsecured.url, { method: 'POST', body: unsignedBodies[0], headers: { 'content-type': 'text/xml; charset=utf-8' } });
    const sampleBody = await sample.text();
    if (!sampleBody.includes('<Code>200</Code>') || !sampleBody.includes('<dep:ETK>'))
      throw new Error(`GetEtk does not answer an ETK:\n${sampleBody.slice(0, 500)}`);
    const bare = await startServer(
      'bare fastify',
      ['--input-type=module', '-e', BARE_SERVER_SOURCE],
      { BARE_BODY_BYTES: String(Buffer.byteLength(sampleBody)) },
      '/bare',
    );
    servers.push(bare);
    if (!hasWrk)
      process.stdout.write(
        'WARNING: wrk is missing (apt-get install wrk): autocannon, one JavaScript thread, saturates before the bare route does, so the ratio to it is understated.\n',
      );
    process.stdout.write(
      `GetEtk response: ${fmt(Buffer.byteLength(sampleBody))} bytes; load: ${hasWrk ? 'wrk' : 'autocannon'}, ${CONNECTIONS} connections, ${SECONDS} s after ${WARMUP_SECONDS} s warm-up${hasTaskset ? ', server on CPU 0, load on CPU 1' : ''}\n\n`,
    );

    // Signed requests carry a Timestamp: sign them right before each run (valid 5 minutes).
    const signBodies = () =>
      pick(identities, 500).map((identity) =>
        signEnvelopeWsSecurity(getEtkEnvelope(identity), { key: client.key, certificate: client.certificate, mustUnderstand: true, timestampTtlSeconds: 280 }),
      );
    const signedSample = await fetch(signedServer.url, { method: 'POST', body: signBodies()[0], headers: { 'content-type': 'text/xml; charset=utf-8' } });
    const signedSampleBody = await signedSample.text();
    if (!signedSampleBody.includes('<Code>200</Code>') || !signedSampleBody.includes('wsse:Security'))
      throw new Error(`signed GetEtk failed:\n${signedSampleBody.slice(0, 800)}`);

    const variant = (name: string, server: Server, bodies: () => string[]) =>
      preparedVariant(name, server, bodies, (prepared, seconds) => load(server.url, prepared, seconds, dataDir));
    const { runs, medians } = await measureRounds(
      [
        variant('bare fastify route (same body size)', bare, () => unsignedBodies),
        variant('GetEtk SOAP, unsecured', unsecured, () => unsignedBodies),
        variant('GetEtk SOAP, WS-Security in + signed response', signedServer, signBodies),
        variant('GetEtk SOAP, unsecured, WORKERS=2 (both cores)', twoWorkers, () => unsignedBodies),
      ],
      { rounds: ROUNDS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS },
    );
    const [bareResult, unsecuredResult, signedResult, twoWorkersResult] = medians as [LoadResult, LoadResult, LoadResult, LoadResult];
    const scaling = twoWorkersResult.requestsPerSecond / unsecuredResult.requestsPerSecond;
    const results = [...runs.values()].flat();

    const peak = Math.max(rssOf(unsecured).peakMb, rssOf(signedServer).peakMb);
    const ratio = unsecuredResult.requestsPerSecond / bareResult.requestsPerSecond;
    failed = reportTargets([
      [`unsecured GetEtk ≥ 1/3 of the bare route (${(ratio * 100).toFixed(0)}%)`, ratio >= TARGETS.ratioToBare],
      [`unsecured GetEtk p99 < ${TARGETS.p99Ms} ms (${unsecuredResult.p99Ms.toFixed(2)} ms)`, unsecuredResult.p99Ms < TARGETS.p99Ms],
      [
        `signed round trips ≥ ${fmt(TARGETS.signedPerSecond)}/s (${fmt(signedResult.requestsPerSecond)}/s)`,
        signedResult.requestsPerSecond >= TARGETS.signedPerSecond,
      ],
      [`server RSS < ${TARGETS.rssMb} MB (peak ${fmt(peak)} MB)`, peak < TARGETS.rssMb],
      [
        `WORKERS=2 ≥ ${TARGETS.twoWorkersScaling}× one worker, unsecured GetEtk (${scaling.toFixed(2)}×; the load generator shares the cores: "rest")`,
        scaling >= TARGETS.twoWorkersScaling,
      ],
      ['no errors or non-200 answers', results.every((m) => m.result.errors === 0)],
    ]);
  } finally {
    for (const server of servers) await server.stop().catch(() => undefined);
    if (keep) {
      process.stdout.write(`kept: BENCH_REUSE=${databaseName}:${dataDir}\n`);
    } else {
      await dropBenchDatabase(serverUrl, databaseName);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
