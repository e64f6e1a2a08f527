import type { Logger } from 'pino';
import type { CaMaterial } from '../ca/hierarchy/index.js';
import { createServices, type PlatformServices } from '../composition.js';
import type { Config } from '../config/config.js';
import type { Clock } from '../domain/clock.js';
import type { Database } from '../storage/database.js';

/** What a command acts on: the same services the server builds (composition.ts), and who runs it. */
export interface AdminContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly db: Database;
  readonly ca: CaMaterial;
  readonly services: PlatformServices;
  /** Who runs the command, for the audit log: ADMIN_OPERATOR, else the OS user. */
  readonly operator: string;
  close(): Promise<void>;
}

export async function openAdminContext(config: Config, logger: Logger): Promise<AdminContext> {
  const services = await createServices(config, logger);
  return {
    config,
    logger,
    clock: services.clock,
    db: services.db,
    ca: services.ca,
    services,
    operator: process.env.ADMIN_OPERATOR ?? process.env.USER ?? 'unknown-operator',
    close: () => services.close(),
  };
}
