import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../../src/project-paths.js';

export interface ServerProcess {
  readonly pid: number;
  readonly baseUrl: string;
  /** https://127.0.0.1:N of the admin listener, when it runs (the start-up line names its port). */
  readonly adminBaseUrl: string | undefined;
  /** What the process wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `src/server.ts` in its own node process (through tsx) and resolves once it listens. The caller passes the
 * whole configuration: nothing of this process's environment but PATH and HOME leaks into the server.
 */
export async function startServerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: projectRoot(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const { port, output } = await listeningPort(child, 'server', timeoutMs);
  const adminPort = /"adminPort":(\d+)/.exec(output())?.[1];
  return {
    pid: child.pid!,
    baseUrl: `http://127.0.0.1:${port}`,
    adminBaseUrl: adminPort ? `https://127.0.0.1:${adminPort}` : undefined,
    output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Resolves with the port once the child prints `listening on port N` (the message of server.ts's start-up log line, an
 * info line written at any LOG_LEVEL but silent; the bench's bare server prints it plainly); rejects, with what it
 * printed, if it exits first or takes longer than timeoutMs. `output()` keeps collecting afterwards.
 */
export async function listeningPort(child: ChildProcess, name: string, timeoutMs: number): Promise<{ port: number; output: () => string }> {
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /listening on port (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before listening:\n${output}`));
    });
  });
  return { port, output: () => output };
}
