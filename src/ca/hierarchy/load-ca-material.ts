import type { CaLogger, CaMaterial } from './ca-material.js';
import { assertProductionCaConfigured, loadConfiguredHierarchy, readCaConfigFile, type CaHierarchyConfig } from './configured-hierarchy.js';
import { loadOrCreateDevHierarchy } from './dev-hierarchy.js';

export interface LoadCaMaterialOptions {
  /** ENVIRONMENT (acceptance | production). */
  readonly environment: string;
  /** CA_CONFIG_FILE: the operator's CA (required in production). */
  readonly caConfigFile: string | undefined;
  /** DATA_DIR: where the development hierarchy lives when no CA is configured. */
  readonly dataDir: string;
  /** http base URL for CRL distribution points / AIA of the development hierarchy. */
  readonly publicationUrl?: string;
  readonly logger?: CaLogger;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The CA bootstrap step of server start: the configured CA when CA_CONFIG_FILE is set (always in production),
 * otherwise the development hierarchy in DATA_DIR/ca.
 */
export async function loadCaMaterial(options: LoadCaMaterialOptions): Promise<CaMaterial> {
  const config: CaHierarchyConfig | undefined = options.caConfigFile ? await readCaConfigFile(options.caConfigFile) : undefined;
  assertProductionCaConfigured(options.environment, config);
  if (config) {
    const material = await loadConfiguredHierarchy(config, options.env ? { env: options.env } : {});
    options.logger?.info?.(
      `CA loaded from ${options.caConfigFile}: issuing CA and ETK-RA keys ${material.issuing.signer.description}, ${material.etkRa.signer.description}`,
    );
    return material;
  }
  return loadOrCreateDevHierarchy(options.dataDir, options.logger, {
    ...(options.publicationUrl ? { publicationUrl: options.publicationUrl } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
}
