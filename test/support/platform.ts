import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createPlatform, type Platform } from '../../src/composition.js';
import { FixedClock } from '../../src/domain/clock.js';
import { openTestDatabase, type TestDatabase } from './test-database.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPlatform {
  platform: Platform;
  app: FastifyInstance;
  config: Config;
  database: TestDatabase;
  clock: FixedClock;
  dataDir: string;
  /** POSTs a SOAP envelope through the real HTTP stack (in-process injection). */
  soap(path: string, envelope: string, headers?: Record<string, string>): Promise<{ status: number; body: string; contentType: string }>;
  close(): Promise<void>;
}

/**
 * The whole platform, wired as in production, on the suite's database engine and a throwaway DATA_DIR. `logger`
 * replaces the silent one (tests that read the log lines pass the platform's own, see createLogger).
 */
export async function startTestPlatform(env: Record<string, string> = {}, options: { logger?: Logger } = {}): Promise<TestPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ehealth-platform-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', PORT: '0', ADMIN_PORT: 'off', ...env });
  const database = await openTestDatabase({ migrate: false });
  const clock = new FixedClock(new Date());
  const logger = options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const platform = await createPlatform(config, logger, { database: database.db, clock });
  return {
    platform,
    app: platform.app,
    config,
    database,
    clock,
    dataDir,
    async soap(path, envelope, headers = {}) {
      const response = await platform.app.inject({
        method: 'POST',
        url: path,
        payload: envelope,
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...headers },
      });
      return { status: response.statusCode, body: response.body, contentType: String(response.headers['content-type'] ?? '') };
    },
    async close() {
      await platform.close();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
