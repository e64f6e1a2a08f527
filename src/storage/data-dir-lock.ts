import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, readlinkSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';

/**
 * An exclusive, inter-process lock on a directory, held for the life of the process (or until released).
 *
 * PGlite is a single-process database: two processes that open one data directory each keep their own view of it and
 * silently lose or corrupt each other's writes. Whoever opens the embedded database takes this lock first.
 *
 * The lock is the file `<directory>.lock`, created atomically with its content (hard link of a fully written temporary
 * file), describing the holder: PID, host name, boot id, PID namespace and the process's start time. A lock left
 * behind by a process that died without releasing it (crash, SIGKILL, Ctrl-C) is stale and taken over:
 *
 * - holder on this machine (same host name and boot id) and in this PID namespace: stale when that PID is not alive,
 *   or is alive but started at another time (the PID was reused);
 * - holder elsewhere (another host or container sharing the volume, or before a reboot), whose PID means nothing
 *   here: the holder refreshes the file's modification time every {@link LOCK_REFRESH_INTERVAL_MS}; the lock is
 *   stale once it has not been refreshed for {@link FOREIGN_LOCK_STALE_AFTER_MS}.
 *
 * Taking over a stale lock happens under a short-lived second lock file (`<lock>.takeover`) and removes the lock
 * only if it still holds the very content judged stale, so two processes racing for a stale lock cannot both win.
 */

export const LOCK_REFRESH_INTERVAL_MS = 10_000;
export const FOREIGN_LOCK_STALE_AFTER_MS = 60_000;
/** A takeover lasts a read and an unlink; one older than this was left by a process that died in between. */
const TAKEOVER_STALE_AFTER_MS = 5_000;
const MAX_ATTEMPTS = 50;

export interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  /** Linux: /proc/sys/kernel/random/boot_id; null elsewhere. */
  readonly bootId: string | null;
  /** Linux: the PID namespace (containers have their own); null elsewhere. */
  readonly pidNamespace: string | null;
  /** Linux: the process's start time in clock ticks since boot (/proc/PID/stat), which tells a reused PID apart. */
  readonly processStartTicks: string | null;
  readonly startedAt: string;
  readonly acquiredAt: string;
  /** The program that holds the lock (script name), for the operator. */
  readonly program: string;
  /** Makes every lock's content unique, so a takeover removes only the lock it judged stale. */
  readonly nonce: string;
}

export class DirectoryLockedError extends Error {
  constructor(
    readonly directory: string,
    readonly lockFile: string,
    /** undefined when the lock file cannot be read as ours (then only its age decides). */
    readonly holder: LockHolder | undefined,
    reason: string,
  ) {
    super(`${directory} is in use: ${reason}`);
    this.name = 'DirectoryLockedError';
  }
}

export interface DirectoryLock {
  readonly directory: string;
  readonly lockFile: string;
  /** Idempotent; also done when the process exits. */
  release(): void;
}

interface HeldLock {
  readonly text: string;
  release(): void;
}

/** Locks held by this process, by lock file: a second opener in the same process is refused too. */
const heldHere = new Map<string, HeldLock>();
let exitHookInstalled = false;

export async function lockDirectory(directory: string): Promise<DirectoryLock> {
  const absolute = resolve(directory);
  const lockFile = `${absolute}.lock`;
  const mine = heldHere.get(lockFile);
  if (mine) {
    throw new DirectoryLockedError(absolute, lockFile, parseHolder(mine.text), 'it is already open in this process');
  }
  const holder = describeThisProcess();
  const text = `${JSON.stringify(holder, null, 2)}\n`;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (createExclusively(lockFile, text)) return hold(absolute, lockFile, text);
    const existing = readLockFile(lockFile);
    if (!existing) continue; // released in the meantime
    const verdict = judge(existing);
    if (verdict.alive) throw new DirectoryLockedError(absolute, lockFile, existing.holder, verdict.reason);
    await removeIfUnchanged(lockFile, existing.text);
  }
  throw new Error(`could not lock ${absolute}: ${lockFile} keeps changing (other processes are competing for it)`);
}

function hold(directory: string, lockFile: string, text: string): DirectoryLock {
  // The file's age tells holders on other machines whether we are still there.
  const refresh = setInterval(() => {
    const now = new Date();
    utimes(lockFile, now, now).catch(() => undefined);
  }, LOCK_REFRESH_INTERVAL_MS);
  refresh.unref();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(refresh);
    heldHere.delete(lockFile);
    try {
      if (readFileSync(lockFile, 'utf8') === text) unlinkSync(lockFile);
    } catch {
      // already gone
    }
  };
  heldHere.set(lockFile, { text, release });
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const held of [...heldHere.values()]) held.release();
    });
  }
  return { directory, lockFile, release };
}

/** Creates the lock file with its whole content, or returns false if it exists. */
function createExclusively(lockFile: string, text: string): boolean {
  const temporary = `${lockFile}.${process.pid}.${randomUUID()}.tmp`;
  writeDurably(temporary, text);
  try {
    linkSync(temporary, lockFile);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(errorCode(error) ?? '')) throw error;
    // A file system without hard links: exclusive creation, then the content (a reader may briefly see it empty,
    // which counts as held until it is old).
    try {
      writeDurably(lockFile, text);
      return true;
    } catch (fallbackError) {
      if (errorCode(fallbackError) === 'EEXIST') return false;
      throw fallbackError;
    }
  } finally {
    try {
      unlinkSync(temporary);
    } catch {
      // nothing to clean
    }
  }
}

function writeDurably(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

interface ExistingLock {
  readonly text: string;
  readonly holder: LockHolder | undefined;
  readonly modifiedMs: number;
}

function readLockFile(lockFile: string): ExistingLock | undefined {
  try {
    const modifiedMs = statSync(lockFile).mtimeMs;
    const text = readFileSync(lockFile, 'utf8');
    return { text, holder: parseHolder(text), modifiedMs };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder> | null;
    if (!value || !Number.isSafeInteger(value.pid) || (value.pid as number) <= 0 || typeof value.hostname !== 'string') return undefined;
    return value as LockHolder;
  } catch {
    return undefined;
  }
}

function judge(existing: ExistingLock): { alive: boolean; reason: string } {
  const holder = existing.holder;
  const here = describeThisProcess();
  // Boot id and PID namespace too: two machines may share a host name (and the initial PID namespace's id).
  if (holder && holder.hostname === here.hostname && holder.bootId === here.bootId && holder.pidNamespace === here.pidNamespace) {
    const alive = isRunning(holder);
    return { alive, reason: `held by process ${holder.pid} (${holder.program}, started ${holder.startedAt})${alive ? '' : ', which is no longer running'}` };
  }
  // A holder whose PID we cannot check: only the refreshes of the file tell it is still there.
  const ageMs = Date.now() - existing.modifiedMs;
  const who = holder ? `held by process ${holder.pid} on ${holder.hostname} (${holder.program}, started ${holder.startedAt})` : 'held by an unknown process';
  if (ageMs > FOREIGN_LOCK_STALE_AFTER_MS) return { alive: false, reason: `${who}, not refreshed for ${Math.round(ageMs / 1000)} s` };
  return {
    alive: true,
    reason: `${who}, which cannot be checked from here; it is taken over once not refreshed for ${FOREIGN_LOCK_STALE_AFTER_MS / 1000} s`,
  };
}

function isRunning(holder: LockHolder): boolean {
  if (holder.pid === process.pid) {
    // Our own PID: a lock we hold (refused earlier), or one left by a previous process that had our PID (a
    // container's PID 1 after a restart).
    return [...heldHere.values()].some((held) => parseHolder(held.text)?.nonce === holder.nonce);
  }
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if (errorCode(error) === 'ESRCH') return false;
    // EPERM: the process exists, it belongs to another user.
  }
  const stat = procStat(holder.pid);
  if (!stat) return true;
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return holder.processStartTicks === null || holder.processStartTicks === stat.startTicks;
}

/** Another process removes the lock only if it still holds exactly the content judged stale. */
async function removeIfUnchanged(lockFile: string, staleText: string): Promise<void> {
  const takeover = `${lockFile}.takeover`;
  let fd: number;
  try {
    fd = openSync(takeover, 'wx', 0o644);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    try {
      if (Date.now() - statSync(takeover).mtimeMs > TAKEOVER_STALE_AFTER_MS) unlinkSync(takeover);
    } catch {
      // finished in the meantime
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 10 + Math.random() * 40));
    return;
  }
  try {
    let current: string | undefined;
    try {
      current = readFileSync(lockFile, 'utf8');
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
    if (current === staleText) unlinkSync(lockFile);
  } finally {
    closeSync(fd);
    unlinkSync(takeover);
  }
}

let thisProcess: LockHolder | undefined;
/** The identity of this process (a fresh nonce each time: one per lock). */
function describeThisProcess(): LockHolder {
  thisProcess ??= {
    pid: process.pid,
    hostname: hostname(),
    bootId: readOptional(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()),
    pidNamespace: readOptional(() => readlinkSync('/proc/self/ns/pid')),
    processStartTicks: procStat(process.pid)?.startTicks ?? null,
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    acquiredAt: '',
    program: basename(process.argv[1] ?? process.argv0),
    nonce: '',
  };
  return { ...thisProcess, acquiredAt: new Date().toISOString(), nonce: randomUUID() };
}

/** Linux /proc/PID/stat: state (field 3) and start time (field 22); the command name may contain spaces and ')'. */
function procStat(pid: number): { state: string; startTicks: string } | undefined {
  const text = readOptional(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  if (!text) return undefined;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19];
  return state && startTicks ? { state, startTicks } : undefined;
}

function readOptional(read: () => string): string | null {
  try {
    return read();
  } catch {
    return null;
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}
