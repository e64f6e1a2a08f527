import type { Logger } from 'pino';
import { loadCaMaterial, type CaMaterial } from '../ca/hierarchy/index.js';
import type { Config } from '../config/config.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { projectPaths } from '../project-paths.js';
import { openDatabase, type Database } from '../storage/database.js';
import { migrate } from '../storage/migrate.js';

export interface AdminContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly db: Database;
  readonly ca: CaMaterial;
  /** Who runs the command, for the audit log: ADMIN_OPERATOR, else the OS user. */
  readonly operator: string;
  close(): Promise<void>;
}

export async function openAdminContext(config: Config, logger: Logger): Promise<AdminContext> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(db, projectPaths.migrations());
    const ca = await loadCaMaterial({ environment: config.environment, caConfigFile: config.caConfigFile, dataDir: config.dataDir, publicationUrl: config.caPublicationUrl });
    return {
      config,
      logger,
      clock: systemClock,
      db,
      ca,
      operator: process.env.ADMIN_OPERATOR ?? process.env.USER ?? 'unknown-operator',
      async close() {
        await ca.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
