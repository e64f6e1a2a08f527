/**
 * ETKDepot throughput: `npx tsx bench/etkdepot.bench.ts` (npm run bench:etkdepot).
 *
 * 1. A fresh PostgreSQL database (on DATABASE_URL's server, default postgres://postgres@127.0.0.1:5432/test) receives
 *    BENCH_ETKS (default 10,000) real ETKs: an eHealth certificate issued by the platform's CA for each identifier,
 *    its encryption certificate and the ETK CMS, stored as EtkRA stores them.
 * 2. Three server processes, each pinned to CPU 0 when taskset exists: the platform built to dist/ (unsecured
 *    GetEtk), the same with SIGN_RESPONSES (signed variant), and a bare fastify route answering a static body of the
 *    size of a GetEtk response (the floor), which reads the same request body.
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
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { buildEncryptionCertificate, buildEtk } from '../src/ca/etk/index.js';
import { parseCertificate } from '../src/x509/certificate.js';
import { generatePrivateKey } from '../src/ca/keys/file-key.js';
import { createKeyObjectSigner } from '../src/ca/keys/key-signer.js';
import { ehealthNaturalPerson, ehealthOrganisation } from '../src/ca/profiles/index.js';
import { buildCsr, type DnSequence } from '../src/ca/x509/index.js';
import { createServices } from '../src/composition.js';
import { loadConfig } from '../src/config/config.js';
import { buildEhealthDn, cbeCheckDigits, ehealthDnAttributes, nihiiCheckDigits, ssinCheckDigits, type EhealthDnInput } from '../src/identifiers/index.js';
import { projectRoot } from '../src/project-paths.js';
import { listeningPort } from '../test/support/etk-server-process.js';
import { NS } from '../src/soap/namespaces.js';
import { wrapInEnvelope } from '../src/soap/envelope.js';
import { etkRepository } from '../src/storage/etk-repository.js';
import { el, textEl } from '../src/xml/builder.js';
import { signEnvelopeWsSecurity } from '../src/xml/dsig/ws-security-sign.js';

const ETK_COUNT = Number(process.env.BENCH_ETKS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 3;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 32;
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'warn';
const REQUEST_VARIETY = 2_000;
const TARGETS = { ratioToBare: 1 / 3, p99Ms: 10, signedPerSecond: 1_000, rssMb: 250 };

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
          const subject = [...ehealthDnAttributes(identity)].reverse().map((a) => ({ type: a.type, value: a.value })) as unknown as DnSequence;
          const issued = await context.issuer.issueFromCsr(
            tx,
            {
              csrDer: buildCsr(subject, authenticationKey),
              expectedSubjectDn: buildEhealthDn(identity),
              profile: identity.type === 'SSIN' ? ehealthNaturalPerson : ehealthOrganisation,
              environment: config.environment,
              now: new Date(),
            },
            'bench',
          );
          const serial = randomBytes(16);
          serial[0] = (serial[0]! & 0x7f) | 0x01;
          const encryptionSpki = createPublicKey(encryptionKey).export({ type: 'spki', format: 'der' });
          const encryptionCertificate = await buildEncryptionCertificate({
            authenticationCertificate: issued.der,
            authenticationSigner: createKeyObjectSigner(authenticationKey, 'bench'),
            encryptionPublicKeySpki: encryptionSpki,
            serialNumber: serial,
          });
          const etk = await buildEtk(
            { encryptionCertificate, authenticationCertificate: issued.der, authenticationChain: context.ca.issuingChain },
            { certificate: context.ca.etkRa.cert, signer: context.ca.etkRa.signer },
          );
          const fields = parseCertificate(encryptionCertificate);
          await etkRepository.insert(tx, {
            issuedCertificateId: issued.id,
            holder: { type: identity.type, value: identity.id, applicationId: undefined },
            encryptionSerialHex: fields.serialNumberHex,
            publicKeySpki: encryptionSpki,
            etkDer: etk,
            notBefore: fields.notBefore,
            notAfter: fields.notAfter,
            status: 'ACTIVE',
            registeredAt: new Date(),
          });
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
// Processes and load.

interface Server {
  readonly name: string;
  readonly child: ChildProcess;
  readonly url: string;
  stop(): Promise<void>;
}

const hasTaskset = spawnSync('taskset', ['--version']).status === 0;
const pinned = (cpu: number, command: string, args: string[]): [string, string[]] =>
  hasTaskset && cpus().length > 1 ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];

/** `nodeArguments` run under node pinned to CPU 0: the compiled server (dist/) or the bare server source. */
async function startServer(name: string, nodeArguments: string[], env: Record<string, string>, path: string): Promise<Server> {
  const [command, args] = pinned(0, process.execPath, nodeArguments);
  const child = spawn(command, args, {
    cwd: projectRoot(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { port, output } = await listeningPort(child, name, 120_000);
  let stopping = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      if (!stopping) process.stderr.write(`\n${name} exited unexpectedly (${code ?? signal}):\n${output().slice(-4000)}\n`);
      resolve();
    }),
  );
  return {
    name,
    child,
    url: `http://127.0.0.1:${port}${path}`,
    async stop() {
      stopping = true;
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The node process behind a server (taskset execs it, so the pid is the same). */
function rssOf(server: Server): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

const hasWrk = spawnSync('wrk', ['--version']).status !== null && spawnSync('which', ['wrk']).status === 0;

async function load(url: string, bodies: readonly string[], seconds: number, workDir: string): Promise<LoadResult> {
  return hasWrk ? wrkLoad(url, bodies, seconds, workDir) : autocannonLoad(url, bodies, seconds);
}

async function wrkLoad(url: string, bodies: readonly string[], seconds: number, workDir: string): Promise<LoadResult> {
  const bodiesFile = join(workDir, `bodies-${randomBytes(4).toString('hex')}.txt`);
  writeFileSync(bodiesFile, bodies.join('\n'));
  const script = join(workDir, 'post.lua');
  writeFileSync(
    script,
    `local bodies = {}
for line in io.lines("${bodiesFile}") do bodies[#bodies + 1] = line end
local headers = { ["Content-Type"] = "text/xml; charset=utf-8", ["SOAPAction"] = '""' }
local errors = 0
request = function() return wrk.format("POST", nil, headers, bodies[math.random(#bodies)]) end
response = function(status) if status ~= 200 then errors = errors + 1 end end
done = function() io.write("non200: " .. errors .. "\\n") end
`,
  );
  const [command, args] = pinned(1, 'wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', script, url]);
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk failed:\n${text}`))));
  });
  const duration = (label: string): number => {
    const match = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(output);
    if (!match) throw new Error(`cannot read the ${label}% latency from wrk:\n${output}`);
    return Number(match[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[match[2]!]!;
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)![1]),
    p50Ms: duration('50'),
    p99Ms: duration('99'),
    errors: Number(/non200: (\d+)/.exec(output)?.[1] ?? 0) + (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0),
  };
}

async function autocannonLoad(url: string, bodies: readonly string[], seconds: number): Promise<LoadResult> {
  // No type declarations ship with autocannon: import it by name, typed by what is used here.
  const moduleName = 'autocannon';
  const { default: autocannon } = (await import(moduleName)) as {
    default: (options: unknown) => Promise<{ requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number }>;
  };
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
    requests: [{ setupRequest: (request: Record<string, unknown>) => ({ ...request, body: bodies[Math.floor(Math.random() * bodies.length)] }) }],
  });
  return { requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.non2xx + result.errors };
}

// ---------------------------------------------------------------------------------------------------------------
// One measured run: the load's figures plus what the server spent (CPU time per request, from /proc) and how much
// CPU time the hypervisor stole from the machine meanwhile (/proc/stat), which makes a shared VM's figures noisy.

interface Measurement {
  readonly result: LoadResult;
  readonly cpuMicrosPerRequest: number;
  readonly serverBusyPercent: number;
  readonly stealPercent: number;
  readonly rss: { rssMb: number; peakMb: number };
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND; // utime + stime
}

function machineTicks(): { steal: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { steal: cpu[7] ?? 0, total: cpu.slice(0, 8).reduce((sum, n) => sum + n, 0) };
}

async function measure(server: Server, run: () => Promise<LoadResult>): Promise<Measurement> {
  const cpuBefore = processCpuSeconds(server.child.pid!);
  const ticksBefore = machineTicks();
  const started = performance.now();
  const result = await run();
  const elapsedSeconds = (performance.now() - started) / 1000;
  const cpuSeconds = processCpuSeconds(server.child.pid!) - cpuBefore;
  const ticksAfter = machineTicks();
  return {
    result,
    cpuMicrosPerRequest: (cpuSeconds * 1e6) / Math.max(1, result.requestsPerSecond * SECONDS),
    serverBusyPercent: (cpuSeconds / elapsedSeconds) * 100,
    stealPercent: ((ticksAfter.steal - ticksBefore.steal) / Math.max(1, ticksAfter.total - ticksBefore.total)) * 100,
    rss: rssOf(server),
  };
}

function medianMeasurement(runs: readonly Measurement[]): Measurement {
  const sorted = [...runs].sort((a, b) => a.result.requestsPerSecond - b.result.requestsPerSecond);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const p99s = runs.map((m) => m.result.p99Ms).sort((a, b) => a - b);
  return { ...median, result: { ...median.result, p99Ms: p99s[Math.floor(p99s.length / 2)]! } };
}

function describe(name: string, m: Measurement): string {
  return (
    `${name.padEnd(46)} ${fmt(m.result.requestsPerSecond).padStart(7)} req/s  p50 ${m.result.p50Ms.toFixed(2).padStart(6)} ms  p99 ${m.result.p99Ms.toFixed(2).padStart(7)} ms` +
    `  server CPU ${fmt(m.cpuMicrosPerRequest).padStart(5)} µs/req (busy ${m.serverBusyPercent.toFixed(0)} %)  steal ${m.stealPercent.toFixed(0)} %` +
    `  RSS ${fmt(m.rss.rssMb)} MB${m.result.errors ? `  ERRORS ${m.result.errors}` : ''}`
  );
}

// ---------------------------------------------------------------------------------------------------------------

function getEtkEnvelope(identity: Identity): string {
  return wrapInEnvelope(
    el(
      'p:GetEtkRequest',
      { 'xmlns:p': NS.etkdepotProtocolV1 },
      el('p:SearchCriteria', null, el('p:Identifier', null, textEl('p:Type', identity.type), textEl('p:Value', identity.id))),
    ).markup,
  );
}

const pick = <T>(items: readonly T[], count: number): T[] => Array.from({ length: count }, () => items[Math.floor(Math.random() * items.length)]!);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  // BENCH_KEEP=1 keeps the seeded database and DATA_DIR; BENCH_REUSE=<database>:<dir> runs again on them (no seeding).
  const reuse = process.env.BENCH_REUSE?.split(':');
  const keep = process.env.BENCH_KEEP === '1' || reuse !== undefined;
  const databaseName = reuse?.[0] ?? `etkbench_${randomBytes(4).toString('hex')}`;
  if (!reuse) {
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${databaseName}`);
    await admin.end();
  }
  const databaseUrl = new URL(serverUrl);
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

    const variants = [
      { name: 'bare fastify route (same body size)', server: bare, bodies: () => unsignedBodies },
      { name: 'GetEtk SOAP, unsecured', server: unsecured, bodies: () => unsignedBodies },
      { name: 'GetEtk SOAP, WS-Security in + signed response', server: signedServer, bodies: signBodies },
    ];
    for (const variant of variants) await load(variant.server.url, variant.bodies(), WARMUP_SECONDS, dataDir);
    // Rounds alternate the variants, so that a slow spell of the machine (steal time on a shared VM) hits them alike;
    // each figure is the median over the rounds.
    const measured = new Map<string, Measurement[]>(variants.map((variant) => [variant.name, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      process.stdout.write(`round ${round}/${ROUNDS}\n`);
      for (const variant of variants) {
        const measurement = await measure(variant.server, () => load(variant.server.url, variant.bodies(), SECONDS, dataDir));
        measured.get(variant.name)!.push(measurement);
        process.stdout.write(`  ${describe(variant.name, measurement)}\n`);
      }
    }
    process.stdout.write(`\nmedians of ${ROUNDS} rounds\n`);
    const [bareResult, unsecuredResult, signedResult] = variants.map((variant) => {
      const median = medianMeasurement(measured.get(variant.name)!);
      process.stdout.write(`  ${describe(variant.name, median)}\n`);
      return median.result;
    }) as [LoadResult, LoadResult, LoadResult];
    const results = [...measured.values()].flat();
    const steal = Math.max(...results.map((m) => m.stealPercent));
    if (steal > 5)
      process.stdout.write(`\nWARNING: up to ${steal.toFixed(0)} % of the CPUs' time was stolen by the hypervisor during a run: figures are unreliable.\n`);

    const peak = Math.max(rssOf(unsecured).peakMb, rssOf(signedServer).peakMb);
    const ratio = unsecuredResult.requestsPerSecond / bareResult.requestsPerSecond;
    const targets = [
      [`unsecured GetEtk ≥ 1/3 of the bare route (${(ratio * 100).toFixed(0)}%)`, ratio >= TARGETS.ratioToBare],
      [`unsecured GetEtk p99 < ${TARGETS.p99Ms} ms (${unsecuredResult.p99Ms.toFixed(2)} ms)`, unsecuredResult.p99Ms < TARGETS.p99Ms],
      [
        `signed round trips ≥ ${fmt(TARGETS.signedPerSecond)}/s (${fmt(signedResult.requestsPerSecond)}/s)`,
        signedResult.requestsPerSecond >= TARGETS.signedPerSecond,
      ],
      [`server RSS < ${TARGETS.rssMb} MB (peak ${fmt(peak)} MB)`, peak < TARGETS.rssMb],
      ['no errors or non-200 answers', results.every((m) => m.result.errors === 0)],
    ] as const;
    process.stdout.write('\ntargets\n');
    for (const [label, met] of targets) process.stdout.write(`  ${met ? 'MET    ' : 'MISSED '} ${label}\n`);
    failed = targets.some(([, met]) => !met);
  } finally {
    for (const server of servers) await server.stop().catch(() => undefined);
    if (keep) {
      process.stdout.write(`kept: BENCH_REUSE=${databaseName}:${dataDir}\n`);
    } else {
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
      await cleanup.end();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  process.exitCode = failed ? 1 : 0;
}

async function queryOnce(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
