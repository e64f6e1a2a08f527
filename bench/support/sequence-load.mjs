#!/usr/bin/env node
/**
 * A closed-loop load generator for work made of several dependent requests (CertRA issuance: generateContract →
 * generateCertificate → getCertificate), where wrk's one-request model does not fit.
 *
 *   node sequence-load.mjs <base url> <jobs file: one JSON job per line> <connections>
 *
 * A job is `{"steps": [{"path", "headers", "body", "expect"}...]}`: its steps are POSTed one after the other, each
 * once the previous answer is complete; a step succeeds on HTTP 200 with `expect` in the answer. `connections` loops
 * take the next job until every job has run once (fixed work, not fixed time: each job consumes a pre-made CSR), over a
 * keep-alive agent of that many sockets. Prints one JSON line: jobs per second, p50 and p99 latency of a whole job in
 * ms, failed jobs (and the first failure), and the share of one CPU this generator used.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { summarise } from './load-summary.mjs';

const [baseUrl, jobsFile, connectionsText] = process.argv.slice(2);
if (!baseUrl || !jobsFile || !connectionsText) {
  process.stderr.write('usage: sequence-load.mjs <base url> <jobs file> <connections>\n');
  process.exit(2);
}
const jobs = readFileSync(jobsFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line).steps.map((step) => ({ ...step, body: Buffer.from(step.body, 'utf8') })));
const connections = Number(connectionsText);
const base = new URL(baseUrl);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });

const latenciesMicros = [];
let errors = 0;
let firstError;

function post(step) {
  return new Promise((resolve) => {
    const request = http.request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        path: step.path,
        method: 'POST',
        headers: { ...step.headers, 'content-length': step.body.length },
      },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve(response.statusCode === 200 && text.includes(step.expect) ? undefined : `${step.path}: HTTP ${response.statusCode}: ${text.slice(0, 600)}`);
        });
        response.on('error', (error) => resolve(`${step.path}: ${error.message}`));
      },
    );
    request.on('error', (error) => resolve(`${step.path}: ${error.message}`));
    request.end(step.body);
  });
}

let next = 0;
const cpuBefore = process.cpuUsage();
const started = performance.now();
await Promise.all(
  Array.from({ length: connections }, async () => {
    while (next < jobs.length) {
      const steps = jobs[next++];
      const sent = performance.now();
      let failure;
      for (const step of steps) {
        failure = await post(step);
        if (failure) break;
      }
      if (failure === undefined) latenciesMicros.push(Math.round((performance.now() - sent) * 1000));
      else {
        errors++;
        firstError ??= failure;
      }
    }
  }),
);
const elapsedSeconds = (performance.now() - started) / 1000;
agent.destroy();
const { perSecond, p50Ms, p99Ms, generatorCpuPercent } = summarise(latenciesMicros, elapsedSeconds, cpuBefore);
process.stdout.write(
  `${JSON.stringify({ jobs: jobs.length, elapsedSeconds, jobsPerSecond: perSecond, p50Ms, p99Ms, errors, firstError, generatorCpuPercent })}\n`,
);
