import { spawn } from 'node:child_process';
import { projectRoot } from '../../src/project-paths.js';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `npm run admin -- <args>` as an operator runs it: a child process on the embedded database in `dataDir`, with `env`
 * added to its environment.
 */
export function runAdminCli(dataDir: string, args: readonly string[], operator: string, env: Record<string, string> = {}): Promise<CliResult> {
  return runTypeScript('src/cli/admin.ts', args, { DATA_DIR: dataDir, LOG_LEVEL: 'warn', ADMIN_OPERATOR: operator, ...env });
}

/** A TypeScript entry of the project in its own node process (tsx), with only PATH, HOME and `env` in its environment. */
export function runTypeScript(script: string, args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: projectRoot(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
