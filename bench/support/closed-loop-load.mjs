#!/usr/bin/env node
/**
 * A closed-loop HTTP load generator for servers wrk cannot drive (OpenSSL's `openssl ocsp -port` responder: wrk's
 * connections get no answer from it, and a connection closed unanswered leaves it spinning on the dead socket).
 *
 *   node closed-loop-load.mjs <url> <bodies file: one hex body per line> <seconds> <connections> <content type>
 *
 * `connections` loops each POST a random body and wait for the whole answer before sending the next, over a
 * keep-alive agent of that many sockets (a server that closes after every answer, as OpenSSL's does, gets a new
 * connection per request: its own choice). Counts non-200 answers and socket errors, and prints one JSON line:
 * requests per second, p50 and p99 latency in ms, errors, and the share of one CPU this generator used (near 100 %
 * means it, not the server, was the limit).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { summarise } from './load-summary.mjs';

const [url, bodiesFile, secondsText, connectionsText, contentType] = process.argv.slice(2);
if (!url || !bodiesFile || !secondsText || !connectionsText || !contentType) {
  process.stderr.write('usage: closed-loop-load.mjs <url> <bodies file> <seconds> <connections> <content type>\n');
  process.exit(2);
}
const bodies = readFileSync(bodiesFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => Buffer.from(line, 'hex'));
const seconds = Number(secondsText);
const connections = Number(connectionsText);
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });

const latenciesMicros = [];
let errors = 0;

function once(body) {
  return new Promise((resolve) => {
    const request = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: 'POST',
        headers: { 'content-type': contentType, 'content-length': body.length },
      },
      (response) => {
        response.on('data', () => undefined);
        response.on('end', () => resolve(response.statusCode === 200));
        response.on('error', () => resolve(false));
      },
    );
    request.on('error', () => resolve(false));
    request.end(body);
  });
}

const cpuBefore = process.cpuUsage();
const started = performance.now();
const deadline = started + seconds * 1000;
await Promise.all(
  Array.from({ length: connections }, async () => {
    while (performance.now() < deadline) {
      const body = bodies[Math.floor(Math.random() * bodies.length)];
      const sent = performance.now();
      const ok = await once(body);
      if (ok) latenciesMicros.push(Math.round((performance.now() - sent) * 1000));
      else errors++;
    }
  }),
);
const elapsedSeconds = (performance.now() - started) / 1000;
agent.destroy();
const { perSecond, p50Ms, p99Ms, generatorCpuPercent } = summarise(latenciesMicros, elapsedSeconds, cpuBefore);
process.stdout.write(`${JSON.stringify({ requestsPerSecond: perSecond, p50Ms, p99Ms, errors, generatorCpuPercent })}\n`);
