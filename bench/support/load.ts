/**
 * What the HTTP benchmarks share: server processes pinned to CPU 0, load from wrk pinned to CPU 1 (autocannon when
 * wrk is missing), and what a run cost the server (CPU time per request from /proc, RSS, the hypervisor's steal).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { projectRoot } from '../../src/project-paths.js';
import { listeningPort } from '../../test/support/etk-server-process.js';

export const pick = <T>(items: readonly T[], count: number): T[] => Array.from({ length: count }, () => items[Math.floor(Math.random() * items.length)]!);
export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export interface Server {
  readonly name: string;
  readonly child: ChildProcess;
  readonly url: string;
  stop(): Promise<void>;
}

export const hasTaskset = spawnSync('taskset', ['--version']).status === 0;
export const pinned = (cpu: number, command: string, args: string[]): [string, string[]] =>
  hasTaskset && cpus().length > 1 ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];

/** `nodeArguments` run under node pinned to CPU 0: the compiled server (dist/) or the bare server source. */
/** `pinToFirstCpu: false` lets a server with several processes (WORKERS=N) use every core. */
export async function startServer(
  name: string,
  nodeArguments: string[],
  env: Record<string, string>,
  path: string,
  logLevel = 'warn',
  pinToFirstCpu = true,
): Promise<Server> {
  const [command, args] = pinToFirstCpu ? pinned(0, process.execPath, nodeArguments) : [process.execPath, nodeArguments];
  const child = spawn(command, args, {
    cwd: projectRoot(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', ADMIN_PORT: 'off', HOST: '127.0.0.1', LOG_LEVEL: logLevel, ...env },
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
/** The server's process and its children (the workers of WORKERS=N), whose figures add up. */
function processTree(pid: number): number[] {
  const children = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout ?? '';
  return [pid, ...children.split('\n').filter(Boolean).map(Number)];
}

/** RSS of the server (summed over its worker processes; peak: the largest single process). */
export function rssOf(server: Server): { rssMb: number; peakMb: number } {
  let rssMb = 0;
  let peakMb = 0;
  for (const pid of processTree(server.child.pid!)) {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
    rssMb += kb('VmRSS') / 1024;
    peakMb = Math.max(peakMb, kb('VmHWM') / 1024);
  }
  return { rssMb, peakMb };
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

export const hasWrk = spawnSync('wrk', ['--version']).status !== null && spawnSync('which', ['wrk']).status === 0;

/** What one load run sends: POSTs of `bodies` (picked at random) with these headers over `connections` connections. */
export interface LoadShape {
  readonly connections: number;
  readonly headers: Readonly<Record<string, string>>;
}

export async function load(url: string, bodies: readonly (string | Buffer)[], seconds: number, workDir: string, shape: LoadShape): Promise<LoadResult> {
  return hasWrk ? wrkLoad(url, bodies, seconds, workDir, shape) : autocannonLoad(url, bodies, seconds, shape);
}

/**
 * The same measure taken by bench/support/closed-loop-load.mjs (node, pinned to CPU 1), for servers wrk cannot drive;
 * both sides of a comparison must then use it.
 */
export async function closedLoopLoad(
  url: string,
  bodies: readonly (string | Buffer)[],
  seconds: number,
  workDir: string,
  shape: LoadShape,
): Promise<LoadResult> {
  const bodiesFile = join(workDir, `bodies-${randomBytes(4).toString('hex')}.txt`);
  writeFileSync(bodiesFile, bodies.map((body) => Buffer.from(body).toString('hex')).join('\n'));
  const contentType = Object.entries(shape.headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? 'application/octet-stream';
  const script = join(projectRoot(), 'bench', 'support', 'closed-loop-load.mjs');
  const [command, args] = pinned(1, process.execPath, [script, url, bodiesFile, String(seconds), String(shape.connections), contentType]);
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`closed-loop load failed:\n${text}`))));
  });
  const result = JSON.parse(output.trim().split('\n').pop()!) as LoadResult;
  return { requestsPerSecond: result.requestsPerSecond, p50Ms: result.p50Ms, p99Ms: result.p99Ms, errors: result.errors };
}

async function wrkLoad(url: string, bodies: readonly (string | Buffer)[], seconds: number, workDir: string, shape: LoadShape): Promise<LoadResult> {
  // The bodies as raw bytes one after the other, cut by their lengths when the script loads: wrk runs the script
  // before it starts its clock, but decoding megabytes of signed bodies (hex, one Lua call per byte) took seconds in
  // which the server sat idle inside measure()'s window, understating its busy share.
  const raw = bodies.map((body) => Buffer.from(body));
  const bodiesFile = join(workDir, `bodies-${randomBytes(4).toString('hex')}.bin`);
  writeFileSync(bodiesFile, Buffer.concat(raw));
  writeFileSync(`${bodiesFile}.lengths`, raw.map((body) => body.length).join('\n'));
  const script = join(workDir, 'post.lua');
  writeFileSync(
    script,
    `local file = assert(io.open("${bodiesFile}", "rb"))
local all = file:read("*a")
file:close()
local bodies = {}
local at = 1
for length in io.lines("${bodiesFile}.lengths") do bodies[#bodies + 1] = all:sub(at, at + tonumber(length) - 1); at = at + tonumber(length) end
local headers = { ${Object.entries(shape.headers)
      .map(([name, value]) => `[${JSON.stringify(name)}] = ${JSON.stringify(value)}`)
      .join(', ')} }
local errors = 0
request = function() return wrk.format("POST", nil, headers, bodies[math.random(#bodies)]) end
response = function(status) if status ~= 200 then errors = errors + 1 end end
done = function() io.write("non200: " .. errors .. "\\n") end
`,
  );
  const [command, args] = pinned(1, 'wrk', ['-t1', `-c${shape.connections}`, `-d${seconds}s`, '--latency', '-s', script, url]);
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

async function autocannonLoad(url: string, bodies: readonly (string | Buffer)[], seconds: number, shape: LoadShape): Promise<LoadResult> {
  // No type declarations ship with autocannon: import it by name, typed by what is used here.
  const moduleName = 'autocannon';
  const { default: autocannon } = (await import(moduleName)) as {
    default: (options: unknown) => Promise<{ requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number }>;
  };
  const result = await autocannon({
    url,
    connections: shape.connections,
    duration: seconds,
    method: 'POST',
    headers: shape.headers,
    requests: [{ setupRequest: (request: Record<string, unknown>) => ({ ...request, body: bodies[Math.floor(Math.random() * bodies.length)] }) }],
  });
  return { requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.non2xx + result.errors };
}

// ---------------------------------------------------------------------------------------------------------------
// One measured run: the load's figures plus what the server spent (CPU time per request, from /proc) and how much
// CPU time the hypervisor stole from the machine meanwhile (/proc/stat), which makes a shared VM's figures noisy.

export interface Measurement {
  readonly result: LoadResult;
  readonly cpuMicrosPerRequest: number;
  readonly serverBusyPercent: number;
  readonly stealPercent: number;
  /** CPU the rest of the machine used during the run (the load generator, mostly), in % of one core. */
  readonly othersBusyPercent: number;
  readonly rss: { rssMb: number; peakMb: number };
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND; // utime + stime
}

function treeCpuSeconds(pid: number): number {
  return processTree(pid).reduce((sum, member) => sum + processCpuSeconds(member), 0);
}

function machineTicks(): { steal: number; idle: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { steal: cpu[7] ?? 0, idle: (cpu[3] ?? 0) + (cpu[4] ?? 0), total: cpu.slice(0, 8).reduce((sum, n) => sum + n, 0) };
}

export async function measure(server: Server, seconds: number, run: () => Promise<LoadResult>): Promise<Measurement> {
  const cpuBefore = treeCpuSeconds(server.child.pid!);
  const ticksBefore = machineTicks();
  const started = performance.now();
  const result = await run();
  const elapsedSeconds = (performance.now() - started) / 1000;
  const cpuSeconds = treeCpuSeconds(server.child.pid!) - cpuBefore;
  const ticksAfter = machineTicks();
  const machineBusySeconds = (ticksAfter.total - ticksBefore.total - (ticksAfter.idle - ticksBefore.idle)) / CLOCK_TICKS_PER_SECOND;
  return {
    // Everything else the machine did meanwhile: mostly the load generator, which shares the cores.
    othersBusyPercent: (Math.max(0, machineBusySeconds - cpuSeconds) / elapsedSeconds) * 100,
    result,
    cpuMicrosPerRequest: (cpuSeconds * 1e6) / Math.max(1, result.requestsPerSecond * seconds),
    serverBusyPercent: (cpuSeconds / elapsedSeconds) * 100,
    stealPercent: ((ticksAfter.steal - ticksBefore.steal) / Math.max(1, ticksAfter.total - ticksBefore.total)) * 100,
    rss: rssOf(server),
  };
}

export function medianMeasurement(runs: readonly Measurement[]): Measurement {
  const sorted = [...runs].sort((a, b) => a.result.requestsPerSecond - b.result.requestsPerSecond);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const p99s = runs.map((m) => m.result.p99Ms).sort((a, b) => a - b);
  return { ...median, result: { ...median.result, p99Ms: p99s[Math.floor(p99s.length / 2)]! } };
}

export function describeMeasurement(name: string, m: Measurement): string {
  return (
    `${name.padEnd(46)} ${fmt(m.result.requestsPerSecond).padStart(7)} req/s  p50 ${m.result.p50Ms.toFixed(2).padStart(6)} ms  p99 ${m.result.p99Ms.toFixed(2).padStart(7)} ms` +
    `  server CPU ${fmt(m.cpuMicrosPerRequest).padStart(5)} µs/req (busy ${m.serverBusyPercent.toFixed(0)} %, rest ${m.othersBusyPercent.toFixed(0)} %)  steal ${m.stealPercent.toFixed(0)} %` +
    `  RSS ${fmt(m.rss.rssMb)} MB${m.result.errors ? `  ERRORS ${m.result.errors}` : ''}`
  );
}

export async function queryOnce(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Rounds, medians and targets, as every HTTP bench prints them.

export interface Variant {
  readonly name: string;
  readonly server: Server;
  /** Makes what a run sends (signing bodies, say) before it, outside the measured window. */
  prepare?(): void | Promise<void>;
  run(seconds: number): Promise<LoadResult>;
}

/** A variant whose bodies are made by prepare(), before each measured window, and sent by `send`. */
export function preparedVariant<Body extends string | Buffer>(
  name: string,
  server: Server,
  bodies: () => readonly Body[],
  send: (prepared: readonly Body[], seconds: number) => Promise<LoadResult>,
): Variant {
  let prepared: readonly Body[] = [];
  return { name, server, prepare: () => void (prepared = bodies()), run: (seconds) => send(prepared, seconds) };
}

/**
 * Warms every variant up, then runs `rounds` rounds that alternate the variants (a slow spell of a shared VM hits them
 * alike), printing each run, then the medians. Returns every run and the median result of each variant, in order.
 */
export async function measureRounds(
  variants: readonly Variant[],
  options: { readonly rounds: number; readonly seconds: number; readonly warmupSeconds: number },
): Promise<{ runs: Map<string, Measurement[]>; medians: LoadResult[] }> {
  for (const variant of variants) {
    await variant.prepare?.();
    await variant.run(options.warmupSeconds);
  }
  const runs = new Map<string, Measurement[]>(variants.map((variant) => [variant.name, []]));
  for (let round = 1; round <= options.rounds; round++) {
    process.stdout.write(`round ${round}/${options.rounds}\n`);
    for (const variant of variants) {
      await variant.prepare?.();
      const measurement = await measure(variant.server, options.seconds, () => variant.run(options.seconds));
      runs.get(variant.name)!.push(measurement);
      process.stdout.write(`  ${describeMeasurement(variant.name, measurement)}\n`);
    }
  }
  process.stdout.write(`\nmedians of ${options.rounds} rounds\n`);
  const medians = variants.map((variant) => {
    const median = medianMeasurement(runs.get(variant.name)!);
    process.stdout.write(`  ${describeMeasurement(variant.name, median)}\n`);
    return median.result;
  });
  const steal = Math.max(...[...runs.values()].flat().map((m) => m.stealPercent));
  if (steal > 5)
    process.stdout.write(`\nWARNING: up to ${steal.toFixed(0)} % of the CPUs' time was stolen by the hypervisor during a run: figures are unreliable.\n`);
  return { runs, medians };
}

/** Prints each target as MET or MISSED; true when one is missed. */
export function reportTargets(targets: ReadonlyArray<readonly [string, boolean]>): boolean {
  process.stdout.write('\ntargets\n');
  for (const [label, met] of targets) process.stdout.write(`  ${met ? 'MET    ' : 'MISSED '} ${label}\n`);
  return targets.some(([, met]) => !met);
}

/** A fresh database on the server of `serverUrl` (a PostgreSQL URL), and its URL. */
export async function createBenchDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropBenchDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Fixed work made of dependent requests (bench/support/sequence-load.mjs), for servers of any kind.

export interface SequenceStep {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Text the answer must contain (with HTTP 200) for the step to count as done. */
  readonly expect: string;
}

export interface SequenceResult {
  readonly jobs: number;
  readonly elapsedSeconds: number;
  readonly jobsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly generatorCpuPercent: number;
}

/** Runs every job once over `connections` closed loops (the generator pinned to CPU 1). */
export async function sequenceLoad(baseUrl: string, jobs: readonly (readonly SequenceStep[])[], connections: number, workDir: string): Promise<SequenceResult> {
  const jobsFile = join(workDir, `jobs-${randomBytes(4).toString('hex')}.jsonl`);
  writeFileSync(jobsFile, jobs.map((steps) => JSON.stringify({ steps })).join('\n'));
  const script = join(projectRoot(), 'bench', 'support', 'sequence-load.mjs');
  const [command, args] = pinned(1, process.execPath, [script, baseUrl, jobsFile, String(connections)]);
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`sequence load failed:\n${text}`))));
  });
  return JSON.parse(output.trim().split('\n').pop()!) as SequenceResult;
}

/** CPU seconds (user + system) a set of processes has used, by pid. */
export function cpuSecondsByPid(pids: readonly number[]): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const pid of pids) {
    try {
      seconds.set(pid, processCpuSeconds(pid));
    } catch {
      // gone meanwhile
    }
  }
  return seconds;
}

/** What a fixed-work run cost: the server's CPU per job, the machine's steal, what else ran (the load generator). */
export interface WorkMeasurement {
  readonly result: SequenceResult;
  readonly cpuMicrosPerJob: number;
  readonly serverBusyPercent: number;
  readonly stealPercent: number;
  readonly othersBusyPercent: number;
  readonly rss: { rssMb: number; peakMb: number };
}

export async function measureWork(server: Server, run: () => Promise<SequenceResult>): Promise<WorkMeasurement> {
  const cpuBefore = treeCpuSeconds(server.child.pid!);
  const ticksBefore = machineTicks();
  const result = await run();
  const cpuSeconds = treeCpuSeconds(server.child.pid!) - cpuBefore;
  const ticksAfter = machineTicks();
  const machineBusySeconds = (ticksAfter.total - ticksBefore.total - (ticksAfter.idle - ticksBefore.idle)) / CLOCK_TICKS_PER_SECOND;
  return {
    result,
    cpuMicrosPerJob: (cpuSeconds * 1e6) / Math.max(1, result.jobs - result.errors),
    serverBusyPercent: (cpuSeconds / result.elapsedSeconds) * 100,
    stealPercent: ((ticksAfter.steal - ticksBefore.steal) / Math.max(1, ticksAfter.total - ticksBefore.total)) * 100,
    othersBusyPercent: (Math.max(0, machineBusySeconds - cpuSeconds) / result.elapsedSeconds) * 100,
    rss: rssOf(server),
  };
}
