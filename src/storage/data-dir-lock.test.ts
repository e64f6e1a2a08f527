import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../project-paths.js';
import { DirectoryLockedError, FOREIGN_LOCK_STALE_AFTER_MS, lockDirectory, type LockHolder } from './data-dir-lock.js';

/** A real other process that takes the lock, says so, and then holds it (or exits at once with `exitAfterLocking`). */
function lockingProcess(directory: string, options: { exitAfterLocking?: boolean; startAt?: number } = {}): { child: ChildProcess; said: Promise<string> } {
  const script = `
    const { lockDirectory } = await import(${JSON.stringify(join(projectRoot(), 'src/storage/data-dir-lock.ts'))});
    while (Date.now() < ${options.startAt ?? 0}) await new Promise((r) => setTimeout(r, 1));
    try {
      await lockDirectory(${JSON.stringify(directory)});
      process.stdout.write('locked\\n');
      ${options.exitAfterLocking ? 'process.exit(0);' : 'setInterval(() => undefined, 1000);'}
    } catch (error) {
      process.stdout.write(error.name === 'DirectoryLockedError' ? 'refused\\n' : 'failed ' + error.message + '\\n');
      process.exit(0);
    }`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: projectRoot(), stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const said = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('\n')) resolve(output.trim());
    });
    child.on('exit', (code) => (output.includes('\n') ? undefined : reject(new Error(`locking process exited with ${code} without a word`))));
  });
  return { child, said };
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** The PID of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await exited(child);
  return child.pid!;
}

/** A lock file as another holder would have written it. */
function writeLock(directory: string, holder: Partial<LockHolder>): string {
  const lockFile = `${directory}.lock`;
  const mine = JSON.parse(readFileSync(`${directory}.probe`, 'utf8')) as LockHolder;
  writeFileSync(lockFile, JSON.stringify({ ...mine, nonce: 'other', ...holder }));
  return lockFile;
}

describe('data directory lock', () => {
  let root: string;
  let directory: string;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'dir-lock-'));
    directory = join(root, 'pglite');
    // What this process writes as a holder: the identity fields other holders on this machine share.
    const probe = await lockDirectory(directory);
    writeFileSync(`${directory}.probe`, readFileSync(probe.lockFile));
    probe.release();
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
      await exited(child);
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('is exclusive within a process, and free again once released (the lock file is removed)', async () => {
    const lock = await lockDirectory(directory);
    await expect(lockDirectory(directory)).rejects.toThrow(/already open in this process/);
    lock.release();
    expect(existsSync(lock.lockFile)).toBe(false);
    const again = await lockDirectory(directory);
    again.release();
  });

  it('refuses while another live process holds it, naming that process', async () => {
    const holder = lockingProcess(directory);
    children.push(holder.child);
    expect(await holder.said).toBe('locked');
    const error = await lockDirectory(directory).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DirectoryLockedError);
    expect((error as DirectoryLockedError).holder?.pid).toBe(holder.child.pid);
    expect((error as Error).message).toMatch(new RegExp(`held by process ${holder.child.pid}`));
  });

  it('takes over the lock of a process that was killed (stale: its PID is not alive)', async () => {
    const holder = lockingProcess(directory);
    children.push(holder.child);
    expect(await holder.said).toBe('locked');
    holder.child.kill('SIGKILL');
    await exited(holder.child);
    expect(JSON.parse(readFileSync(`${directory}.lock`, 'utf8')).pid).toBe(holder.child.pid);
    const lock = await lockDirectory(directory);
    expect(JSON.parse(readFileSync(lock.lockFile, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('is released when the holding process exits without releasing it', async () => {
    const holder = lockingProcess(directory, { exitAfterLocking: true });
    expect(await holder.said).toBe('locked');
    await exited(holder.child);
    expect(existsSync(`${directory}.lock`)).toBe(false);
  });

  it('takes over a lock whose PID is alive but belongs to a process started at another time (PID reused)', async () => {
    writeLock(directory, { pid: process.ppid, processStartTicks: '1' });
    const lock = await lockDirectory(directory);
    lock.release();
  });

  it('treats a lock left by a previous process with this very PID (a container restarted) as stale', async () => {
    writeLock(directory, { pid: process.pid });
    const lock = await lockDirectory(directory);
    lock.release();
  });

  it('refuses a lock held from another host while it is refreshed, and takes it over once it is not', async () => {
    const lockFile = writeLock(directory, { pid: 1, hostname: `not-${hostname()}` });
    await expect(lockDirectory(directory)).rejects.toThrow(/cannot be checked from here/);
    const old = new Date(Date.now() - FOREIGN_LOCK_STALE_AFTER_MS - 1_000);
    utimesSync(lockFile, old, old);
    const lock = await lockDirectory(directory);
    lock.release();
  });

  it('refuses an unreadable lock file while it is recent, and takes it over once it is old', async () => {
    const lockFile = `${directory}.lock`;
    writeFileSync(lockFile, '');
    await expect(lockDirectory(directory)).rejects.toThrow(/held by an unknown process/);
    const old = new Date(Date.now() - FOREIGN_LOCK_STALE_AFTER_MS - 1_000);
    utimesSync(lockFile, old, old);
    const lock = await lockDirectory(directory);
    lock.release();
  });

  it('lets exactly one of several processes racing for a stale lock win', async () => {
    writeLock(directory, { pid: await deadPid() });
    const startAt = Date.now() + 4_000;
    const racers = Array.from({ length: 4 }, () => lockingProcess(directory, { startAt }));
    children.push(...racers.map((r) => r.child));
    const outcomes = await Promise.all(racers.map((r) => r.said));
    expect(outcomes.sort()).toEqual(['locked', 'refused', 'refused', 'refused']);
  }, 30_000);
});
