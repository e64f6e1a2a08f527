import type { Logger } from 'pino';
import type { CaMaterial } from '../ca/hierarchy/index.js';
import type { KeySigner } from '../ca/keys/key-signer.js';

/**
 * What /health reports: the database answers, and every key the platform signs with is reachable (a PKCS#11 token
 * logged in, the key on it). Names and states only: reasons go to the log, never a secret or a path to the caller.
 */
export interface KeyHealth {
  /** 'pkcs11': on a token, checked on every probe; 'file': decrypted into memory at start, always there. */
  readonly custody: 'pkcs11' | 'file';
  readonly status: 'ok' | 'unreachable';
}

export interface HealthReport {
  readonly status: 'ok' | 'unavailable';
  readonly database: 'ok' | 'unreachable';
  readonly keys: Readonly<Record<string, KeyHealth>>;
}

export interface NamedKey {
  readonly name: string;
  /** A key on a token can be asked whether it answers; a key in memory (no checkReachable) is always there. */
  readonly signer: Pick<KeySigner, 'checkReachable'>;
}

/** Every key of the CA material, by what it does. */
export function caKeys(ca: CaMaterial): NamedKey[] {
  const keys: Array<NamedKey | undefined> = [
    ca.root.signer && { name: 'root CA', signer: ca.root.signer },
    { name: 'issuing CA', signer: ca.issuing.signer },
    { name: 'ETK-RA signer', signer: ca.etkRa.signer },
    ca.citizenCa && { name: 'test citizen CA', signer: ca.citizenCa.signer },
    ca.ocspResponderKeys.issuing && { name: 'OCSP responder (issuing CA)', signer: ca.ocspResponderKeys.issuing },
    ca.ocspResponderKeys.root && { name: 'OCSP responder (root)', signer: ca.ocspResponderKeys.root },
    ca.tslSigner && { name: 'trusted-list signer', signer: ca.tslSigner.signer },
  ];
  return keys.filter((key): key is NamedKey => key !== undefined);
}

export async function checkHealth(input: { ping(): Promise<void>; keys: readonly NamedKey[]; logger: Logger }): Promise<HealthReport> {
  const database = input.ping().then(
    () => 'ok' as const,
    (error: unknown) => {
      input.logger.warn({ err: error }, 'health: the database does not answer');
      return 'unreachable' as const;
    },
  );
  const keys = await Promise.all(
    input.keys.map(async ({ name, signer }): Promise<[string, KeyHealth]> => {
      if (!signer.checkReachable) return [name, { custody: 'file', status: 'ok' }];
      try {
        await signer.checkReachable();
        return [name, { custody: 'pkcs11', status: 'ok' }];
      } catch (error) {
        input.logger.warn({ key: name, reason: (error as Error).message }, 'health: a key is not reachable');
        return [name, { custody: 'pkcs11', status: 'unreachable' }];
      }
    }),
  );
  const databaseStatus = await database;
  const healthy = databaseStatus === 'ok' && keys.every(([, key]) => key.status === 'ok');
  return { status: healthy ? 'ok' : 'unavailable', database: databaseStatus, keys: Object.fromEntries(keys) };
}
