#!/usr/bin/env node
/**
 * Interop conformance suite (issue #6): `npm run test:interop`.
 *
 * For each database engine (embedded PGlite, then a fresh database on the real PostgreSQL) it starts the service as a
 * child process on a free port with a fresh DATA_DIR, mints development eID identities with the admin CLI, runs two
 * independent clients against the three ?wsdl URLs:
 *   - test/interop/python/zeep_client.py  (Debian python3-zeep strict mode + python3-xmlsec + openssl)
 *   - test/interop/java/EhealthInteropClient.java (javac'd here against Debian's Santuario and WSS4J jars + JDK XMLDSig)
 * then validates every request and response they exchanged with `xmllint --schema` against the public eHealth reference
 * XSDs (../shared/reference/ehealth-contracts) and against our own xsd/, prints a table operation × client × schema-valid
 * and the closing line `N passed, N failed`, and exits non-zero on any failure. Nothing is ever skipped: a missing tool is
 * installed from Debian when we are root, and is a failure otherwise.
 *
 * Schema validation: xmllint gets a generated driver schema (SOAP 1.1 Envelope/Header/Body/Fault declared locally,
 * Header children lax, exactly one Body child that must be declared by the imported schemas, strict) importing the
 * reference files by absolute file URL: the same construction as src/xml/schema-validator.ts builds in memory.
 *
 * Environment: INTEROP_ENGINES=pglite,postgres (default both) · INTEROP_POSTGRES_URL (maintenance database URL; default:
 * TEST_DATABASE_URL's server and credentials, else postgres://postgres@127.0.0.1:5432/postgres) · INTEROP_SERVER=tsx|dist · INTEROP_POSTGRES_WORKERS (default 2) ·
 * INTEROP_SERVER_ENV (JSON of extra server settings) · INTEROP_WORK_DIR · INTEROP_KEEP=1 · EHEALTH_CONTRACTS_DIR ·
 * INTEROP_NO_INSTALL=1 (never apt-get).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DOMParser } from '@xmldom/xmldom';
import pg from 'pg';
import { schemaImports, soapEnvelopeDriverSchema } from '../../src/xml/schema-validator.ts';
import { REFERENCE_CONTRACTS, REFERENCE_FILES } from '../support/schemas.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const REFERENCE_DIR = REFERENCE_CONTRACTS;
const OUR_XSD_DIR = join(ROOT, 'xsd');
const PYTHON = '/usr/bin/python3'; // Debian's zeep lives here, not in a pyenv interpreter
const ENGINES = (process.env.INTEROP_ENGINES ?? 'pglite,postgres')
  .split(',')
  .map((e) => e.trim())
  .filter(Boolean);
const SUCCESS = 'urn:be:fgov:ehealth:2.0:status:Success';
const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  core2: 'urn:be:fgov:ehealth:commons:core:v2',
  core10: 'urn:be:fgov:ehealth:commons:1_0:core',
};
const JARS = ['wss4j.jar', 'xmlsec.jar', 'commons-logging.jar', 'slf4j-api.jar', 'slf4j-nop.jar'].map((j) => `/usr/share/java/${j}`);

/** The 17 operations of the four services; every one must be driven successfully by at least one client. */
const OPERATIONS = [
  'generateContract',
  'generateCertificate',
  'getCertificate',
  'generateRevocationContract',
  'revoke',
  'getActorQualities',
  'getGenericOrganizationTypes',
  'getExistingApplicationIds',
  'getCertificateInfoForCitizen',
  'getCertificateInfoForAuthenticationCertificate',
  'submitCSRForForeigner',
  'startETKRegistration',
  'completeETKRegistration',
  'activateETK',
  'GetEtk',
  'GetNewKey',
  'GetKey',
];
const OPERATION_BY_REQUEST = Object.fromEntries(OPERATIONS.map((op) => [`${op[0].toUpperCase()}${op.slice(1)}Request`, op]));

// The reference schema set and the envelope wrapper are shared with the jest suites (run under tsx, see package.json).

const PERSONS = {
  main: { ssin: '85073003328', given: 'Jan', surname: 'Test' },
  replacement: { ssin: '79021802145', given: 'Marie', surname: 'Peeters' },
  java: { ssin: '90010100123', given: 'Piet', surname: 'Janssens' },
  untrusted: { ssin: '68051211716', given: 'Eve', surname: 'Untrusted' },
  foreigner: { ssin: '85473003317', given: 'John', surname: 'Foreign' },
};
const ORGANISATION = { type: 'NIHII-HOSPITAL', id: '71089815', name: 'TEST HOSPITAL', appId: 'INTEROP' };

// ---------------------------------------------------------------------------------------------------------------------
const checks = []; // { engine, client, name, operation, ok, detail }
const started = Date.now();
let workDir;
const children = new Set();

function record(engine, client, name, ok, detail = '', operation = null) {
  checks.push({ engine, client, name, operation, ok, detail });
  if (!ok) console.log(`  [FAIL] ${client} ${name}${detail ? ` -- ${detail}` : ''}`);
}

function log(line) {
  console.log(`[interop ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${line}`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  return { code: result.status ?? (result.error ? 127 : 1), stdout: result.stdout ?? '', stderr: result.stderr ?? '', error: result.error };
}

// ---- 1. tools ---------------------------------------------------------------------------------------------------------
const TOOLS = [
  { what: 'python3-zeep under /usr/bin/python3', pkg: 'python3-zeep', ok: () => run(PYTHON, ['-c', 'import zeep, requests']).code === 0 },
  { what: 'python3-xmlsec', pkg: 'python3-xmlsec', ok: () => run(PYTHON, ['-c', 'import xmlsec']).code === 0 },
  { what: 'python3-lxml', pkg: 'python3-lxml', ok: () => run(PYTHON, ['-c', 'import lxml.etree']).code === 0 },
  { what: 'python3-cryptography', pkg: 'python3-cryptography', ok: () => run(PYTHON, ['-c', 'import cryptography.x509']).code === 0 },
  { what: 'xmlsec1', pkg: 'xmlsec1', ok: () => run('xmlsec1', ['--version']).code === 0 },
  { what: 'xmllint', pkg: 'libxml2-utils', ok: () => run('xmllint', ['--version']).code === 0 },
  { what: 'Apache Santuario jar', pkg: 'libxml-security-java', ok: () => existsSync('/usr/share/java/xmlsec.jar') },
  { what: 'WSS4J jar', pkg: 'libwss4j-java', ok: () => existsSync('/usr/share/java/wss4j.jar') },
  { what: 'commons-logging jar', pkg: 'libcommons-logging-java', ok: () => existsSync('/usr/share/java/commons-logging.jar') },
  { what: 'slf4j jars', pkg: 'libslf4j-java', ok: () => existsSync('/usr/share/java/slf4j-api.jar') && existsSync('/usr/share/java/slf4j-nop.jar') },
  { what: 'certtool', pkg: 'gnutls-bin', ok: () => run('certtool', ['--version']).code === 0 },
  { what: 'openssl', pkg: 'openssl', ok: () => run('openssl', ['version']).code === 0 },
  {
    what: 'javac (JDK 17)',
    pkg: 'openjdk-17-jdk-headless',
    ok: () => /javac (1[7-9]|2\d)/.test(run('javac', ['-version']).stdout + run('javac', ['-version']).stderr),
  },
];

function ensureTools() {
  let missing = TOOLS.filter((tool) => !tool.ok());
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((tool) => tool.pkg))];
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    if (root && process.env.INTEROP_NO_INSTALL !== '1') {
      log(`installing missing Debian packages: ${packages.join(' ')}`);
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      const update = run('apt-get', ['update'], { env, stdio: 'inherit' });
      const install = run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env, stdio: 'inherit' });
      if (update.code !== 0 || install.code !== 0) log(`apt-get failed (update ${update.code}, install ${install.code})`);
    } else {
      log(`cannot install ${packages.join(' ')}: ${root ? 'INTEROP_NO_INSTALL=1' : 'not root'}`);
    }
    missing = TOOLS.filter((tool) => !tool.ok());
  }
  for (const tool of TOOLS)
    record(
      '-',
      'runner',
      `tool available: ${tool.what} (${tool.pkg})`,
      !missing.includes(tool),
      missing.includes(tool) ? 'missing and could not be installed' : '',
    );
  return missing.length === 0;
}

// ---- 2. schema drivers ------------------------------------------------------------------------------------------------
function envelopeDriver(imports) {
  return soapEnvelopeDriverSchema(schemaImports(imports.map(([namespace, file]) => [namespace, pathToFileURL(file).href])));
}

function writeSchemaDrivers() {
  const directory = join(workDir, 'schemas');
  mkdirSync(directory, { recursive: true });
  const reference = REFERENCE_FILES.map(([namespace, file]) => [namespace, join(REFERENCE_DIR, file)]);
  const ours = readdirSync(OUR_XSD_DIR)
    .filter((f) => f.endsWith('.xsd'))
    .sort()
    .flatMap((file) => {
      const namespace = /targetNamespace\s*=\s*"([^"]*)"/.exec(readFileSync(join(OUR_XSD_DIR, file), 'utf8').slice(0, 4000))?.[1];
      return namespace && namespace !== NS.soap ? [[namespace, join(OUR_XSD_DIR, file)]] : [];
    });
  const drivers = { reference: join(directory, 'reference-envelope.xsd'), ours: join(directory, 'our-envelope.xsd') };
  writeFileSync(drivers.reference, envelopeDriver(reference));
  writeFileSync(drivers.ours, envelopeDriver(ours));
  // The drivers must compile, and must be able to reject: a known-good and a known-bad envelope.
  const good = join(directory, 'probe-good.xml');
  const bad = join(directory, 'probe-bad.xml');
  writeFileSync(
    good,
    `<s:Envelope xmlns:s="${NS.soap}"><s:Body><GetEtkRequest xmlns="urn:be:fgov:ehealth:etkdepot:1_0:protocol"><SearchCriteria><Identifier><Type>SSIN</Type><Value>1</Value></Identifier></SearchCriteria></GetEtkRequest></s:Body></s:Envelope>`,
  );
  writeFileSync(
    bad,
    `<s:Envelope xmlns:s="${NS.soap}"><s:Body><GetEtkRequest xmlns="urn:be:fgov:ehealth:etkdepot:1_0:protocol"><Unknown/></GetEtkRequest></s:Body></s:Envelope>`,
  );
  for (const [name, driver] of Object.entries(drivers)) {
    const result = validateFiles(driver, [good, bad]);
    const ok = result.get(good)?.valid === true && result.get(bad)?.valid === false;
    record(
      '-',
      'runner',
      `xmllint driver schema over ${name === 'reference' ? 'the reference XSDs' : 'our xsd/'} compiles, accepts a valid and rejects an invalid envelope`,
      ok,
      ok ? '' : JSON.stringify([...result.entries()]).slice(0, 600),
    );
  }
  return drivers;
}

/** xmllint --schema over many files at once; returns file → { valid, errors[] }. */
function validateFiles(driver, files) {
  const results = new Map();
  for (let i = 0; i < files.length; i += 150) {
    const batch = files.slice(i, i + 150);
    const out = run('xmllint', ['--noout', '--nonet', '--schema', driver, ...batch]);
    const errors = new Map(batch.map((f) => [f, []]));
    for (const line of out.stderr.split('\n')) {
      const file = batch.find((f) => line.startsWith(f));
      if (!file) continue;
      if (line === `${file} validates`) results.set(file, { valid: true, errors: [] });
      else if (line !== `${file} fails to validate`) errors.get(file).push(line.slice(file.length + 1).trim());
    }
    for (const file of batch)
      if (!results.has(file))
        results.set(file, { valid: false, errors: errors.get(file).length ? errors.get(file) : [out.stderr.slice(0, 300) || 'no verdict from xmllint'] });
  }
  return results;
}

// ---- 3. Java client ---------------------------------------------------------------------------------------------------
function compileJava() {
  const classes = join(workDir, 'java-classes');
  mkdirSync(classes, { recursive: true });
  const result = run('javac', [
    '-encoding',
    'UTF-8',
    '-d',
    classes,
    '-cp',
    JARS.join(':'),
    join(HERE, 'java', 'EhealthInteropClient.java'),
    join(HERE, 'java', 'OcspPkixCheck.java'),
    join(HERE, 'java', 'TslSignatureCheck.java'),
  ]);
  const ok = result.code === 0;
  record(
    '-',
    'java-santuario-wss4j',
    'javac compiles the Java client against Debian jars (Santuario 2.1, WSS4J 1.6, JDK 17)',
    ok,
    ok ? '' : (result.stderr || result.stdout).slice(0, 800),
  );
  return ok ? classes : undefined;
}

// ---- 4. server and admin CLI ------------------------------------------------------------------------------------------
function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createNetServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function nodeEntry(script) {
  if (process.env.INTEROP_SERVER === 'dist') return [join(ROOT, 'dist', script.replace(/\.ts$/, '.js'))];
  return ['--import', 'tsx', join(ROOT, script)];
}

function serviceEnv(target) {
  return {
    ...process.env,
    PORT: String(target.port),
    ADMIN_PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: target.dataDir,
    DATABASE_URL: target.databaseUrl ?? '',
    ENVIRONMENT: 'acceptance',
    // On PostgreSQL the suite runs against two server processes on one port (issue #17): every exchange that spans
    // several requests (challenges, contracts, sealed keys) must hold whichever worker answers. PGlite allows one.
    WORKERS: target.engine === 'postgres' ? (process.env.INTEROP_POSTGRES_WORKERS ?? '2') : '1',
    LOG_LEVEL: 'warn',
    SIGN_RESPONSES: 'true',
    ETKDEPOT_REQUIRE_SIGNATURE: 'false',
    CA_PUBLICATION_URL: `http://127.0.0.1:${target.port}`,
    PUBLIC_URL: '',
    ADMIN_OPERATOR: 'interop-suite',
    // The test STS whose SAML holder-of-key assertions KGSS GetKey accepts (made by the runner with openssl).
    KGSS_STS_CERT_FILES: target.stsCert,
    // Debugging aid (and how the suite's own checks are shown to fail): extra server settings as JSON.
    ...(process.env.INTEROP_SERVER_ENV ? JSON.parse(process.env.INTEROP_SERVER_ENV) : {}),
  };
}

async function startServer(target) {
  const child = spawn(process.execPath, nodeEntry('src/server.ts'), { cwd: ROOT, env: serviceEnv(target), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  target.server = child;
  let output = '';
  const logFile = join(target.dir, 'server.log');
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 90 s:\n${output.slice(-2000)}`)), 90_000);
    const onData = (chunk) => {
      output += chunk;
      writeFileSync(logFile, output);
      if (/listening on port \d+/.test(output)) {
        clearTimeout(timer);
        target.startOutput = output;
        resolveStart();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      children.delete(child);
      clearTimeout(timer);
      if (!/listening on port \d+/.test(output)) reject(new Error(`server exited with ${code} before listening:\n${output.slice(-2000)}`));
    });
  });
}

async function stopServer(target) {
  const child = target.server;
  if (!child || child.exitCode !== null) return;
  await new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

function adminCli(target, args, env = serviceEnv(target)) {
  const result = run(process.execPath, [...nodeEntry('src/cli/admin.ts'), ...args], { cwd: ROOT, env, timeout: 120_000 });
  return { ok: result.code === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

function adminCommands(target) {
  const help = adminCli(target, ['help']);
  return [...help.output.matchAll(/^ {2}(\S+:\S+)/gm)].map((m) => m[1]);
}

/** HTTP bridge for clients that need an admin command mid-scenario; a PGlite-backed server is stopped around it. */
function startAdminBridge(target) {
  let queue = Promise.resolve();
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      queue = queue.then(async () => {
        let reply;
        try {
          const { args } = JSON.parse(body);
          if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new Error('args must be a string array');
          if (target.engine === 'pglite') await stopServer(target);
          reply = adminCli(target, args);
          if (target.engine === 'pglite') await startServer(target);
          log(`admin ${args.join(' ')} -> ${reply.ok ? 'ok' : 'FAILED'}`);
        } catch (error) {
          reply = { ok: false, output: String(error?.message ?? error) };
        }
        response.writeHead(reply.ok ? 200 : 500, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
      });
    });
  });
  return new Promise((resolveBridge) => server.listen(0, '127.0.0.1', () => resolveBridge(server)));
}

// ---- 5. PostgreSQL ----------------------------------------------------------------------------------------------------
/** The server's maintenance database, with the credentials of TEST_DATABASE_URL when CI set one (.ci/run does). */
function postgresAdminUrl() {
  const url = new URL(process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = '/postgres';
  return url.toString();
}

async function createPostgresDatabase() {
  const adminUrl = process.env.INTEROP_POSTGRES_URL ?? postgresAdminUrl();
  const connect = async () => {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
    await client.connect();
    return client;
  };
  let client;
  try {
    client = await connect();
  } catch (first) {
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    const clusters = run('pg_lsclusters', ['-h'])
      .stdout.split('\n')
      .filter(Boolean)
      .map((l) => l.split(/\s+/));
    if (!root || clusters.length === 0) throw new Error(`PostgreSQL at ${adminUrl} is unreachable (${first.message}) and no local cluster can be started`);
    for (const [version, name] of clusters) run('pg_ctlcluster', [version, name, 'start']);
    client = await connect();
  }
  const name = `interop_${randomBytes(5).toString('hex')}`;
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const cleanup = await connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

// ---- 6. clients -------------------------------------------------------------------------------------------------------
function runClient(label, command, args, options, timeoutMs) {
  return new Promise((resolveClient) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stderr = '';
    child.stdout.on('data', (chunk) => process.stdout.write(chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.length > 20_000) stderr = stderr.slice(-20_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      children.delete(child);
      clearTimeout(timer);
      resolveClient({ code, signal, stderr, label });
    });
  });
}

function readJsonLines(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

// ---- 7. message analysis ----------------------------------------------------------------------------------------------
function parseXml(text) {
  try {
    let failed = false;
    const doc = new DOMParser({
      onError: () => {
        failed = true;
      },
    }).parseFromString(text, 'text/xml');
    return failed ? undefined : doc;
  } catch {
    return undefined;
  }
}

function elementChildren(node) {
  return Array.from(node?.childNodes ?? []).filter((n) => n.nodeType === 1);
}

function bodyChild(doc) {
  const envelope = doc?.documentElement;
  if (!envelope || envelope.namespaceURI !== NS.soap || envelope.localName !== 'Envelope') return undefined;
  const body = elementChildren(envelope).find((e) => e.namespaceURI === NS.soap && e.localName === 'Body');
  return elementChildren(body)[0];
}

/** Success as the technical connector sees it. */
function responseSucceeded(doc) {
  const payload = bodyChild(doc);
  if (!payload || payload.localName === 'Fault') return false;
  if (payload.localName === 'GetExistingApplicationIdsResponse') return true;
  const status = elementChildren(payload).find((e) => e.localName === 'Status');
  if (!status) return false;
  // KGSS (etee commons 1.0): an unqualified Status with Code 200.
  if (!status.namespaceURI) {
    return (
      elementChildren(status)
        .find((e) => e.localName === 'Code')
        ?.textContent?.trim() === '200'
    );
  }
  if (status.namespaceURI === NS.core10)
    return (
      elementChildren(status)
        .find((e) => e.localName === 'Code')
        ?.textContent?.trim() === '200'
    );
  return (
    elementChildren(status)
      .find((e) => e.localName === 'StatusCode')
      ?.getAttribute('Value') === SUCCESS
  );
}

function analyseMessages(engine, messageDirs, drivers) {
  const exchanges = [];
  for (const directory of messageDirs) {
    for (const entry of readJsonLines(join(directory, 'index.jsonl'))) {
      const requestFile = join(directory, entry.request);
      const responseFile = join(directory, entry.response);
      const requestDoc = parseXml(readFileSync(requestFile, 'utf8'));
      const responseText = readFileSync(responseFile, 'utf8');
      const responseDoc = responseText ? parseXml(responseText) : undefined;
      const payload = bodyChild(requestDoc);
      const operation = payload ? (OPERATION_BY_REQUEST[payload.localName] ?? `(${payload.localName})`) : '(malformed request)';
      exchanges.push({
        ...entry,
        engine,
        requestFile,
        responseFile: responseText ? responseFile : undefined,
        operation,
        succeeded: entry.intent === 'valid' && responseSucceeded(responseDoc),
      });
    }
  }
  const files = exchanges.flatMap((x) => [...(x.intent === 'invalid-request' ? [] : [x.requestFile]), ...(x.responseFile ? [x.responseFile] : [])]);
  const reference = validateFiles(drivers.reference, files);
  const ours = validateFiles(drivers.ours, files);
  for (const x of exchanges) {
    x.validation = [];
    const verdict = (file, direction) => {
      const ref = reference.get(file);
      const own = ours.get(file);
      x.validation.push({ direction, reference: ref.valid, ours: own.valid });
      const problems = [
        ...(ref.valid ? [] : [`reference XSDs: ${ref.errors.slice(0, 3).join(' | ')}`]),
        ...(own.valid ? [] : [`our xsd/: ${own.errors.slice(0, 3).join(' | ')}`]),
      ];
      record(
        engine,
        x.client,
        `${direction} ${x.operation} [${x.step}] valid against the reference XSDs and ours (${file.split('/').pop()})`,
        problems.length === 0,
        problems.join(' || ').slice(0, 700),
        x.operation,
      );
    };
    if (x.intent !== 'invalid-request') verdict(x.requestFile, 'request');
    if (x.responseFile) verdict(x.responseFile, 'response');
    else record(engine, x.client, `response to ${x.operation} [${x.step}] received`, false, `HTTP ${x.status} without a body`, x.operation);
  }
  return exchanges;
}

// ---- 8. one engine ----------------------------------------------------------------------------------------------------
async function runEngine(engine, drivers, javaClasses, untrustedDir) {
  log(`=== engine ${engine} ===`);
  const dir = join(workDir, engine);
  mkdirSync(dir, { recursive: true });
  const target = { engine, dir, dataDir: join(dir, 'data'), port: await freePort(), stsKey: join(dir, 'sts.key.pem'), stsCert: join(dir, 'sts.cert.pem') };
  mkdirSync(target.dataDir, { recursive: true });
  // A test STS for KGSS's SAML holder-of-key path: its certificate is configured in the server, its key signs the
  // python client's assertions.
  const sts = run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    target.stsKey,
    '-out',
    target.stsCert,
    '-subj',
    '/C=BE/O=Interop/CN=Interop STS',
    '-days',
    '2',
  ]);
  record(engine, 'runner', 'test STS certificate made (openssl)', sts.code === 0, sts.stderr.slice(-300));
  let database;
  let bridge;
  const exchanges = [];
  try {
    if (engine === 'postgres') {
      try {
        database = await createPostgresDatabase();
        target.databaseUrl = database.url;
        record(engine, 'runner', 'fresh PostgreSQL database created', true);
      } catch (error) {
        record(engine, 'runner', 'fresh PostgreSQL database created', false, String(error.message ?? error));
        return exchanges;
      }
    }
    // Identities are minted before the server starts: a PGlite store must never be opened by two processes.
    const identities = {};
    for (const name of ['main', 'replacement', 'java']) {
      const person = PERSONS[name];
      const out = join(dir, 'identities', name);
      const minted = adminCli(target, ['identity:mint', '--ssin', person.ssin, '--given-name', person.given, '--surname', person.surname, '--out', out]);
      record(engine, 'runner', `admin CLI identity:mint ${person.ssin}`, minted.ok && existsSync(join(out, 'signature.key.pem')), minted.output.slice(-500));
      identities[name] = out;
    }
    identities.untrusted = untrustedDir;
    const commands = adminCommands(target);
    // Registrations an eHealth officer makes before a client starts (acceptance): test cases make own-SSIN and
    // organisation requests automatically validated; the legal-representative mandate authorises the organisation.
    // The replacement person gets none: its request goes through the manual validation queue.
    const setup = { mandate: false };
    const registrations = [
      ['certra:test-case:add', '--type', 'SSIN', '--id', PERSONS.main.ssin, '--responsible-ssin', PERSONS.main.ssin, '--description', 'interop python'],
      ['certra:test-case:add', '--type', 'SSIN', '--id', PERSONS.java.ssin, '--responsible-ssin', PERSONS.java.ssin, '--description', 'interop java'],
      [
        'certra:test-case:add',
        '--type',
        ORGANISATION.type,
        '--id',
        ORGANISATION.id,
        '--responsible-ssin',
        PERSONS.main.ssin,
        '--description',
        'interop organisation',
      ],
      [
        'certra:mandate:add-legal-representative',
        '--org-type',
        ORGANISATION.type,
        '--org-id',
        ORGANISATION.id,
        '--org-name',
        ORGANISATION.name,
        '--ssin',
        PERSONS.main.ssin,
        '--evidence',
        'interop suite',
      ],
    ];
    for (const args of registrations) {
      const available = commands.includes(args[0]);
      const result = available ? adminCli(target, args) : { ok: false, output: `the admin CLI has no ${args[0]} command (has: ${commands.join(', ')})` };
      record(engine, 'runner', `admin CLI ${args.slice(0, 5).join(' ')}`, result.ok, result.output.slice(-500));
      if (args[0].includes('mandate') && result.ok) setup.mandate = true;
    }
    try {
      await startServer(target);
      record(engine, 'runner', `service starts (${engine}, port ${target.port}, SIGN_RESPONSES=true)`, true);
      const workers = Number(serviceEnv(target).WORKERS);
      const banner = /listening on port \d+ \([^)]*\)/.exec(target.startOutput)?.[0] ?? '';
      log(`${engine}: ${banner}`);
      record(
        engine,
        'runner',
        `service runs ${workers} worker process(es)`,
        workers > 1 ? banner.includes(`${workers} workers`) : !/ workers\)/.test(banner),
        banner,
      );
    } catch (error) {
      record(engine, 'runner', `service starts (${engine})`, false, String(error.message).slice(-1500));
      return exchanges;
    }
    bridge = await startAdminBridge(target);
    const baseUrl = `http://127.0.0.1:${target.port}`;
    for (const path of ['/CertRa/v2', '/EtkRa/v2', '/EtkDepot/v1', '/Kgss/v1']) {
      const response = await fetch(`${baseUrl}${path}?wsdl`).catch((error) => ({ ok: false, status: String(error) }));
      record(engine, 'runner', `GET ${path}?wsdl answers 200`, response.ok === true, `HTTP ${response.status}`);
    }
    const common = {
      engine,
      baseUrl,
      rootCa: join(target.dataDir, 'ca', 'root.cert.pem'),
      issuingCa: join(target.dataDir, 'ca', 'issuing.cert.pem'),
      adminBridge: `http://127.0.0.1:${bridge.address().port}/`,
      adminCommands: commands,
      sts: { key: target.stsKey, cert: target.stsCert },
      kgssInnerXsd: join(REFERENCE_DIR, 'ehealth-etee', 'XSD', 'ehealth-etee-kgss-schema-inner-protocol-1_2.xsd'),
    };

    // Python (zeep)
    const pyMessages = join(dir, 'messages', 'python');
    const pyResults = join(dir, 'python-results.jsonl');
    const pyConfig = join(dir, 'python-config.json');
    writeFileSync(
      pyConfig,
      JSON.stringify(
        {
          ...common,
          workDir: join(dir, 'python-work'),
          messages: pyMessages,
          results: pyResults,
          identities,
          persons: PERSONS,
          organisation: ORGANISATION,
          setup,
        },
        null,
        2,
      ),
    );
    log('python client (zeep strict + python-xmlsec)');
    const py = await runClient(
      'python',
      PYTHON,
      [join(HERE, 'python', 'zeep_client.py'), pyConfig],
      { cwd: join(HERE, 'python'), env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } },
      300_000,
    );
    const pySteps = readJsonLines(pyResults);
    for (const step of pySteps) checks.push({ engine, client: step.client, name: step.step, operation: step.operation, ok: step.ok, detail: step.detail });
    record(
      engine,
      'python-zeep',
      'python client ran to completion',
      py.code === 0 && pySteps.length > 0,
      `exit ${py.code}${py.signal ? ` (${py.signal}: timeout)` : ''} ${py.stderr.slice(-1500)}`,
    );

    // OCSP: the JDK's PKIX validator with PKIXRevocationChecker, OCSP only (the connector's crypto library checks OCSP
    // first), follows the AIA of the certificates the python client obtained to this running server's responder.
    if (javaClasses) {
      const work = join(dir, 'python-work');
      for (const [prefix, expected, why] of [
        ['org-ehealth', 'GOOD', 'issued, never revoked'],
        ['main-ehealth', 'REVOKED', 'revoked by the client over CertRA'],
      ]) {
        const leaf = join(work, `${prefix}-chain-0.pem`);
        const issuing = join(work, `${prefix}-chain-1.pem`);
        const name = `OCSP-only PKIX validation of ${prefix} (${why}) answers ${expected}`;
        if (!existsSync(leaf) || !existsSync(issuing)) {
          record(engine, 'java-pkix-ocsp', name, false, 'the python client did not fetch this certificate');
          continue;
        }
        const result = run('java', ['-cp', javaClasses, 'OcspPkixCheck', common.rootCa, leaf, issuing], { timeout: 60_000 });
        const ok = result.stdout.trim().startsWith(expected);
        record(engine, 'java-pkix-ocsp', name, ok, `${result.stdout}${result.stderr}`.slice(-800));
        if (ok) log(`  [PASS] java-pkix-ocsp ${name}`);
      }
    }

    // Trusted lists: Apache Santuario verifies each published list's XAdES signature with the pinned TSL signer, as the
    // connector's TSL updater does; a list changed after signing must not verify.
    if (javaClasses) {
      const signer = join(target.dataDir, 'ca', 'tsl-signer', 'cert.pem');
      for (const list of ['transport', 'person', 'application']) {
        const response = await fetch(`${baseUrl}/tsl/tsl-ehpbe-${list}.xml`).catch((error) => ({ ok: false, status: String(error) }));
        const name = `Santuario verifies tsl-ehpbe-${list}.xml with the pinned TSL signer`;
        if (!response.ok) {
          record(engine, 'java-santuario-tsl', name, false, `HTTP ${response.status}`);
          continue;
        }
        const xml = await response.text();
        const file = join(dir, `tsl-${list}.xml`);
        writeFileSync(file, xml);
        const valid = run('java', ['-cp', [javaClasses, ...JARS].join(':'), 'TslSignatureCheck', file, signer], { timeout: 60_000 });
        record(engine, 'java-santuario-tsl', name, valid.stdout.trim() === 'VALID', `${valid.stdout}${valid.stderr}`.slice(-800));
        if (valid.stdout.trim() === 'VALID') log(`  [PASS] java-santuario-tsl ${name}`);
        const tampered = join(dir, `tsl-${list}-tampered.xml`);
        writeFileSync(
          tampered,
          xml.replace(/<tsl:TSLSequenceNumber>(\d+)</, (_m, n) => `<tsl:TSLSequenceNumber>${Number(n) + 1}<`),
        );
        const refused = run('java', ['-cp', [javaClasses, ...JARS].join(':'), 'TslSignatureCheck', tampered, signer], { timeout: 60_000 });
        record(
          engine,
          'java-santuario-tsl',
          `Santuario refuses tsl-ehpbe-${list}.xml changed after signing`,
          refused.stdout.startsWith('INVALID'),
          refused.stdout.slice(-400),
        );
      }
    }

    // Java (Santuario + WSS4J + JDK XMLDSig)
    if (javaClasses) {
      const javaMessages = join(dir, 'messages', 'java');
      const javaResults = join(dir, 'java-results.jsonl');
      const javaConfig = join(dir, 'java-config.properties');
      const props = {
        ...common,
        adminCommands: commands.join(','),
        workDir: join(dir, 'java-work'),
        messages: javaMessages,
        results: javaResults,
        'identity.java': identities.java,
        'identity.untrusted': untrustedDir,
        'person.ssin': PERSONS.java.ssin,
        'person.given': PERSONS.java.given,
        'person.surname': PERSONS.java.surname,
        'untrusted.ssin': PERSONS.untrusted.ssin,
        'other.ssin': PERSONS.replacement.ssin,
      };
      writeFileSync(
        javaConfig,
        Object.entries(props)
          .map(([k, v]) => `${k}=${String(v).replace(/\\/g, '\\\\')}`)
          .join('\n'),
      );
      log('java client (Santuario + WSS4J + JDK XMLDSig)');
      const java = await runClient('java', 'java', ['-cp', [javaClasses, ...JARS].join(':'), 'EhealthInteropClient', javaConfig], { cwd: dir }, 180_000);
      const javaSteps = readJsonLines(javaResults);
      for (const step of javaSteps) checks.push({ engine, client: step.client, name: step.step, operation: step.operation, ok: step.ok, detail: step.detail });
      record(
        engine,
        'java-santuario-wss4j',
        'java client ran to completion',
        java.code === 0 && javaSteps.length > 0,
        `exit ${java.code}${java.signal ? ` (${java.signal}: timeout)` : ''} ${java.stderr.slice(-1500)}`,
      );
    }

    log('schema validation of every exchanged message (xmllint)');
    const messageDirs = [join(dir, 'messages', 'python'), join(dir, 'messages', 'java')].filter(existsSync);
    exchanges.push(...analyseMessages(engine, messageDirs, drivers));
    for (const operation of OPERATIONS) {
      const drivenBy = [...new Set(exchanges.filter((x) => x.operation === operation && x.succeeded).map((x) => x.client))];
      record(
        engine,
        'coverage',
        `operation ${operation} driven successfully by an independent client`,
        drivenBy.length > 0,
        drivenBy.length ? '' : 'no client completed this operation with a success response',
        operation,
      );
    }
    return exchanges;
  } finally {
    if (bridge) await new Promise((r) => bridge.close(r));
    await stopServer(target);
    if (database) await database.drop().catch((error) => log(`could not drop the database: ${error.message}`));
  }
}

// ---- 9. report --------------------------------------------------------------------------------------------------------
function pad(text, width) {
  const s = String(text);
  return s.length >= width ? s.slice(0, width) : s + ' '.repeat(width - s.length);
}

function printTable(engine, exchanges) {
  const stepsOf = (operation, client) =>
    checks.filter((c) => c.engine === engine && c.client === client && c.operation === operation && !c.name.includes(' valid against the reference'));
  const keys = new Map();
  for (const x of exchanges) keys.set(`${x.operation}\u0000${x.client}`, [x.operation, x.client]);
  for (const c of checks)
    if (c.engine === engine && c.operation && !['coverage', 'runner'].includes(c.client) && !c.name.includes(' valid against the reference'))
      keys.set(`${c.operation}\u0000${c.client}`, [c.operation, c.client]);
  const rows = [...keys.values()].sort((a, b) => {
    const ia = OPERATIONS.indexOf(a[0]);
    const ib = OPERATIONS.indexOf(b[0]);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a[1].localeCompare(b[1]);
  });
  const header = `${pad('operation', 47)} ${pad('client', 21)} ${pad('steps ok', 9)} ${pad('msgs', 5)} ${pad('ok resp', 8)} ${pad('ref-XSD valid', 14)} ${pad('our-XSD valid', 14)}`;
  console.log(`\nOperation x client x schema-valid (${engine})`);
  console.log(header);
  console.log('-'.repeat(header.length));
  for (const [operation, client] of rows) {
    const xs = exchanges.filter((x) => x.operation === operation && x.client === client);
    const validations = xs.flatMap((x) => x.validation ?? []);
    const steps = stepsOf(operation, client);
    console.log(
      `${pad(operation, 47)} ${pad(client, 21)} ${pad(`${steps.filter((s) => s.ok).length}/${steps.length}`, 9)} ${pad(xs.length, 5)} ${pad(xs.filter((x) => x.succeeded).length, 8)} ${pad(`${validations.filter((v) => v.reference).length}/${validations.length}`, 14)} ${pad(`${validations.filter((v) => v.ours).length}/${validations.length}`, 14)}`,
    );
  }
  const all = exchanges.flatMap((x) => x.validation ?? []);
  const excluded = exchanges.filter((x) => x.intent === 'invalid-request').length;
  console.log(
    `messages validated: ${all.length} (${all.filter((v) => v.reference).length} valid against the reference XSDs, ${all.filter((v) => v.ours).length} against ours); ` +
      `${excluded} deliberately invalid transport-negative requests not schema-checked (their fault responses are)`,
  );
}

async function main() {
  workDir = process.env.INTEROP_WORK_DIR ? resolve(process.env.INTEROP_WORK_DIR) : mkdtempSync(join(tmpdir(), 'ehealth-interop-'));
  mkdirSync(workDir, { recursive: true });
  log(`work directory ${workDir}; engines ${ENGINES.join(', ')}; reference contracts ${REFERENCE_DIR}`);
  const allExchanges = new Map();
  record('-', 'runner', 'reference contracts present', existsSync(join(REFERENCE_DIR, 'ehealth-etee', 'XSD')), REFERENCE_DIR);
  const toolsOk = ensureTools();
  if (toolsOk) {
    const drivers = writeSchemaDrivers();
    const javaClasses = compileJava();
    // An eID identity from a foreign development hierarchy: structurally perfect, chained to a CA the service does not trust.
    const untrustedDir = join(workDir, 'untrusted', 'identity');
    mkdirSync(join(workDir, 'untrusted', 'data'), { recursive: true });
    const minted = adminCli({ port: 9, dataDir: join(workDir, 'untrusted', 'data') }, [
      'identity:mint',
      '--ssin',
      PERSONS.untrusted.ssin,
      '--given-name',
      PERSONS.untrusted.given,
      '--surname',
      PERSONS.untrusted.surname,
      '--out',
      untrustedDir,
    ]);
    record('-', 'runner', 'untrusted identity minted in a separate development hierarchy', minted.ok, minted.output.slice(-500));
    for (const engine of ENGINES) {
      if (!['pglite', 'postgres'].includes(engine)) {
        record(engine, 'runner', `engine ${engine} is known`, false, 'INTEROP_ENGINES takes pglite and/or postgres');
        continue;
      }
      try {
        allExchanges.set(engine, await runEngine(engine, drivers, javaClasses, untrustedDir));
      } catch (error) {
        record(engine, 'runner', `engine ${engine} ran`, false, String(error?.stack ?? error).slice(0, 1500));
      }
    }
  }
  for (const [engine, exchanges] of allExchanges) printTable(engine, exchanges);
  const failed = checks.filter((c) => !c.ok);
  if (failed.length) {
    console.log('\nFailures:');
    for (const c of failed) console.log(`  - [${c.engine}] ${c.client}: ${c.name}${c.detail ? `\n      ${c.detail.replace(/\n/g, '\n      ')}` : ''}`);
  }
  writeFileSync(join(workDir, 'report.json'), JSON.stringify({ checks, exchanges: Object.fromEntries(allExchanges) }, null, 2));
  const keep = failed.length > 0 || process.env.INTEROP_KEEP === '1' || process.env.INTEROP_WORK_DIR;
  console.log(`\nwire captures and report: ${keep ? workDir : '(removed; INTEROP_KEEP=1 keeps them)'}  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  if (!keep) rmSync(workDir, { recursive: true, force: true });
  console.log(`${checks.length - failed.length} passed, ${failed.length} failed`);
  process.exitCode = failed.length ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
}
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

main().catch((error) => {
  console.error(error);
  console.log(`${checks.filter((c) => c.ok).length} passed, ${checks.filter((c) => !c.ok).length + 1} failed`);
  process.exit(1);
});
