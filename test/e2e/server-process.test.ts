import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-paths.js';

/** The real entry point as a process: what `npm start` runs after building. */
function startServer(dataDir: string): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: projectRoot(),
    env: { ...process.env, PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const poll = setInterval(() => {
      const match = /listening on port (\d+)/.exec(output);
      if (match) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), output: () => output });
      }
    }, 50);
    child.on('exit', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('the server process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'server-process-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('logs one start-up line with the three WSDL URLs, serves them, and drains and exits 0 on SIGTERM', async () => {
    const server = await startServer(dataDir);
    try {
      // The start-up summary is a log line (JSON, info) with the WSDL URLs as fields, not text on stdout.
      const startup = server
        .output()
        .split('\n')
        .filter((line) => line.includes('listening on port'));
      expect(startup).toHaveLength(1);
      const base = `http://localhost:${server.port}`;
      expect(JSON.parse(startup[0]!)).toMatchObject({
        level: 30,
        service: 'ehealth-cert-platform',
        port: server.port,
        environment: 'acceptance',
        wsdl: { certRa: `${base}/CertRa/v2?wsdl`, etkRa: `${base}/EtkRa/v2?wsdl`, etkDepot: `${base}/EtkDepot/v1?wsdl` },
        msg: `eHealth certificate platform listening on port ${server.port} (acceptance, database: embedded PGlite in ${dataDir})`,
      });
      const response = await fetch(`http://127.0.0.1:${server.port}/health`);
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/u);
      for (const path of ['/CertRa/v2', '/EtkRa/v2', '/EtkDepot/v1']) {
        expect(server.output()).toContain(`${path}?wsdl`);
        const response = await fetch(`http://127.0.0.1:${server.port}${path}?wsdl`);
        expect(response.status).toBe(200);
      }
      expect(server.output()).toContain('DEVELOPMENT CA HIERARCHY created');
    } finally {
      const exited = exitOf(server.child);
      server.child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(server.output()).toContain('shutting down: draining in-flight requests');
    }
  });

  it('reuses the development hierarchy and the embedded database on restart', async () => {
    const rootBefore = readFileSync(join(dataDir, 'ca', 'root.cert.pem'));
    const server = await startServer(dataDir);
    const exited = exitOf(server.child);
    server.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(server.output()).toContain('DEVELOPMENT CA HIERARCHY loaded');
    expect(server.output()).not.toContain('database migrated');
    expect(readFileSync(join(dataDir, 'ca', 'root.cert.pem')).equals(rootBefore)).toBe(true);
  });

  it('refuses to start in production without a configured CA', async () => {
    const productionDir = mkdtempSync(join(tmpdir(), 'server-production-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
        cwd: projectRoot(),
        env: { ...process.env, PORT: '0', ADMIN_PORT: '0', DATA_DIR: productionDir, ENVIRONMENT: 'production', CA_CONFIG_FILE: '', DATABASE_URL: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      expect(await exitOf(child)).toBe(1);
      expect(output).toMatch(/failed to start: .*CA/);
    } finally {
      rmSync(productionDir, { recursive: true, force: true });
    }
  });
});
