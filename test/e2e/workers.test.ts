import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { projectRoot } from '../../src/project-paths.js';
import { listeningPort } from '../support/etk-server-process.js';
import { openTestDatabase, testEngine, type TestDatabase } from '../support/test-database.js';

/**
 * WORKERS=N server processes on one port (node:cluster). PGlite cannot be shared between processes: there WORKERS>1
 * is refused with a clear message. On PostgreSQL (TEST_DATABASE_URL) a real primary with two workers runs: requests are
 * answered, /metrics adds up every worker, a killed worker is replaced, SIGTERM drains them all.
 */

const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
};

/** One request on a connection of its own, so that the primary hands successive requests to different workers. */
function request(url: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const call = http.request(url, { agent: false, method: body ? 'POST' : 'GET', headers: body ? { 'content-type': 'text/xml' } : {} }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    call.on('error', reject);
    call.end(body);
  });
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('WORKERS: several server processes on one port', () => {
  it('is refused on the embedded PGlite, at configuration and at start-up, with a clear message', async () => {
    expect(() => loadConfig({ WORKERS: '2', DATA_DIR: '/tmp/unused' })).toThrow(ConfigError);
    expect(() => loadConfig({ WORKERS: '2', DATA_DIR: '/tmp/unused' })).toThrow(
      /WORKERS=2 needs DATABASE_URL: the embedded PGlite cannot be shared between processes/,
    );
    expect(loadConfig({ DATA_DIR: '/tmp/unused', ENVIRONMENT: 'production' }).workers).toBe(1);
    const dataDir = mkdtempSync(join(tmpdir(), 'workers-pglite-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
        cwd: projectRoot(),
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', ADMIN_PORT: '0', DATA_DIR: dataDir, WORKERS: '2' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(output).toContain('WORKERS=2 needs DATABASE_URL');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  describe(`on ${testEngine}`, () => {
    let database: TestDatabase | undefined;
    let dataDir: string;
    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'workers-'));
      if (testEngine === 'postgres') database = await openTestDatabase();
    }, 60_000);
    afterAll(async () => {
      await database?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it(testEngine === 'postgres'
      ? 'two workers answer on one port, /metrics sums them, a killed worker is replaced, SIGTERM drains all'
      : 'runs one process on PGlite (the default): no worker processes', async () => {
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        PORT: '0',
        ADMIN_PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        DATA_DIR: dataDir,
        ...(database ? { DATABASE_URL: database.url!, WORKERS: '2' } : {}),
      };
      const primary = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: projectRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<number | null>((resolve) => primary.once('exit', resolve));
      try {
        const { port, output } = await listeningPort(primary, 'server', 120_000);
        const base = `http://127.0.0.1:${port}`;
        const expected = database ? 2 : 0;
        const workers = await until('the workers', () => (childrenOf(primary.pid!).length === expected ? childrenOf(primary.pid!) : undefined));
        expect(workers).toHaveLength(expected);
        if (database) expect(output()).toContain('2 workers');
        // The announced ports are the service's and the admin listener's, once every worker has both up.
        const adminPort = Number(/"adminPort":(\d+)/.exec(output())?.[1]);
        expect(adminPort).toBeGreaterThan(0);
        expect(adminPort).not.toBe(port);

        // Twenty SOAP calls spread over the workers; any worker's /metrics counts all twenty.
        const fault = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Nothing/></s:Body></s:Envelope>';
        for (let call = 0; call < 20; call++) expect((await request(`${base}/EtkDepot/v1`, fault)).status).toBe(500);
        const counted = async () => {
          const { body: text } = await request(`${base}/metrics`);
          return [...text.matchAll(/^ehealth_soap_calls_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
        };
        expect(await counted()).toBe(20);
        expect(await counted()).toBe(20);

        if (database) {
          process.kill(workers[0]!, 'SIGKILL');
          const replaced = await until('a replacement worker', () => {
            const now = childrenOf(primary.pid!);
            return now.length === 2 && !now.includes(workers[0]!) ? now : undefined;
          });
          expect(replaced).toHaveLength(2);
          // The primary logs before it forks, but its stderr reaches us through a pipe: wait for the line.
          await until('the replacement logged', () => (output().includes('worker died: starting a replacement') ? true : undefined), 10_000);
          await until('the service to answer after the replacement', async () => ((await fetch(`${base}/health`)).ok ? true : undefined));
        }
        primary.kill('SIGTERM');
        expect(await exited).toBe(0);
        expect(childrenOf(primary.pid!)).toEqual([]);
      } finally {
        if (primary.exitCode === null) primary.kill('SIGKILL');
      }
    }, 180_000);
  });
});
