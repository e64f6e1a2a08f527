import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SHARE_ENV, Worker } from 'node:worker_threads';

/**
 * Throwaway SoftHSM2 tokens for tests. Each token lives in its own temp directory with its own softhsm2.conf.
 * SoftHSM reads SOFTHSM2_CONF with getenv() when the library is initialised (C_Initialize), so the variable must be
 * set in the real environment of this process; a PKCS#11 signer opened afterwards sees the token. Close every
 * signer before cleanup() (the last close finalises the library, so the next token's config is read afresh).
 *
 * Tests that need SoftHSM call createSoftHsmToken(), which THROWS when softhsm2 is not installed:
 * a missing HSM must fail the suite, never skip it silently.
 */

const execFileAsync = promisify(execFile);

export const SOFTHSM_MODULE_CANDIDATES = [
  process.env.SOFTHSM2_MODULE,
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
].filter((path): path is string => typeof path === 'string' && path !== '');

export interface SoftHsmToken {
  readonly modulePath: string;
  readonly directory: string;
  readonly configPath: string;
  readonly label: string;
  readonly pin: string;
  readonly soPin: string;
  /** Restores SOFTHSM2_CONF and removes the token directory. */
  cleanup(): Promise<void>;
}

/**
 * Jest gives each test file a copy of process.env, so assigning to it never reaches getenv() in native code.
 * A worker thread created with SHARE_ENV writes the process's real environment; the copy is updated too.
 */
export async function setNativeEnvironmentVariable(name: string, value: string | undefined): Promise<void> {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  await new Promise<void>((resolve, reject) => {
    const worker = new Worker(
      'const { workerData } = require("node:worker_threads"); if (workerData.value === undefined) delete process.env[workerData.name]; else process.env[workerData.name] = workerData.value;',
      { eval: true, env: SHARE_ENV, workerData: { name, value } },
    );
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`setting ${name} failed (worker exit ${code})`))));
  });
}

export function findSoftHsmModule(candidates: readonly string[] = SOFTHSM_MODULE_CANDIDATES): string {
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) {
    throw new Error(
      `SoftHSM2 is required for the PKCS#11 tests but libsofthsm2.so was not found (looked in ${candidates.join(', ')}). ` +
        'Install it (Debian: apt-get install softhsm2) or set SOFTHSM2_MODULE.',
    );
  }
  return found;
}

export async function softhsmUtil(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileAsync('softhsm2-util', args, { env });
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') {
      throw new Error('SoftHSM2 is required for the PKCS#11 tests but softhsm2-util is not on PATH. Install it (Debian: apt-get install softhsm2).');
    }
    throw new Error(`softhsm2-util ${args[0]} failed: ${failure.stderr ?? failure.message}`);
  }
}

export async function createSoftHsmToken(options: { label?: string; pin?: string; soPin?: string } = {}): Promise<SoftHsmToken> {
  const modulePath = findSoftHsmModule();
  const label = options.label ?? 'test-ca';
  const pin = options.pin ?? '1234';
  const soPin = options.soPin ?? '5678';
  const directory = await mkdtemp(join(tmpdir(), 'softhsm-'));
  const tokenDirectory = join(directory, 'tokens');
  await mkdir(tokenDirectory);
  const configPath = join(directory, 'softhsm2.conf');
  await writeFile(configPath, `directories.tokendir = ${tokenDirectory}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const previousConf = process.env.SOFTHSM2_CONF;
  const env = { ...process.env, SOFTHSM2_CONF: configPath };
  try {
    await softhsmUtil(['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin], env);
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  await setNativeEnvironmentVariable('SOFTHSM2_CONF', configPath);
  return {
    modulePath,
    directory,
    configPath,
    label,
    pin,
    soPin,
    async cleanup() {
      if (process.env.SOFTHSM2_CONF === configPath) await setNativeEnvironmentVariable('SOFTHSM2_CONF', previousConf);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** softhsm2-util --show-slots for the token's config; handy when a test fails. */
export async function showSlots(token: SoftHsmToken): Promise<string> {
  return softhsmUtil(['--show-slots'], { ...process.env, SOFTHSM2_CONF: token.configPath });
}
