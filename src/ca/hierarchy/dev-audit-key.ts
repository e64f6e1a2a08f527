import { link, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { generatePrivateKey, writeEncryptedKeyFile } from '../keys/file-key.js';
import { readFile } from 'node:fs/promises';
import type { FileKeyReference } from '../keys/key-reference.js';

/**
 * The development audit key (DATA_DIR/ca/audit/key.pem, EC P-256, encrypted under the development hierarchy's
 * passphrase): signs the audit log's checkpoints. Created when missing; a hard link puts it in place only if no other
 * process did first, so processes starting together share one key.
 */
export async function ensureDevAuditKey(dataDir: string): Promise<FileKeyReference> {
  const caDir = join(dataDir, 'ca');
  const passphraseFile = join(caDir, 'passphrase');
  const path = join(caDir, 'audit', 'key.pem');
  const reference: FileKeyReference = { kind: 'file', path, passphraseFile };
  if (await exists(path)) return reference;
  await mkdir(join(caDir, 'audit'), { recursive: true, mode: 0o700 });
  const temporary = await mkdtemp(join(caDir, '.audit-'));
  try {
    const passphrase = (await readFile(passphraseFile, 'utf8')).trim();
    const candidate = join(temporary, 'key.pem');
    await writeEncryptedKeyFile(candidate, generatePrivateKey('EC-P256'), passphrase);
    try {
      await link(candidate, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
  return reference;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
