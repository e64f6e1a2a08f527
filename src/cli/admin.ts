import pino from 'pino';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../logging.js';
import { DirectoryLockedError } from '../storage/data-dir-lock.js';
import { openAdminContext } from './admin-context.js';
import { AdminApiClient, AdminApiError, apiTargetFrom, type AdminApiTarget } from './admin-api-client.js';
import {
  asksForHelp,
  commandHelp,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  generalHelp,
  INVOCATION,
  parseCommandOptions,
  usageLine,
  UsageError,
  type AnyAdminCommand,
  type CommandDeclaration,
} from './command.js';
import { ADMIN_COMMANDS } from './commands/index.js';

/**
 * Administrator CLI: `npm run admin -- [--url … --cert … --key … --ca …] <command> [options]`. With --url (or
 * ADMIN_API_URL) commands go through the admin API of a running server as the officer of the client certificate;
 * without, they act on the same database and CA as the service (DATABASE_URL / DATA_DIR: a stopped instance for the
 * embedded database). Every change is written to the audit log with the officer or the operator.
 * Exit codes: 0 success, 1 failure, 2 usage error.
 */
async function main(argv: readonly string[]): Promise<number> {
  let target: AdminApiTarget | undefined;
  let commandArgs: string[];
  try {
    ({ target, rest: commandArgs } = apiTargetFrom(argv, process.env));
  } catch (error) {
    if (error instanceof UsageError) return usageError(error.message, generalHelp(ADMIN_COMMANDS));
    throw error;
  }
  const [name, ...rest] = commandArgs;
  if (name === undefined) return usageError('no command given', generalHelp(ADMIN_COMMANDS));
  if (name === 'help' || name === '--help' || name === '-h') {
    if (rest.length === 0) return print(generalHelp(ADMIN_COMMANDS));
    const target = findCommand(rest[0]!);
    if (!target || rest.length > 1) return usageError(`unknown command '${rest.join(' ')}'`, generalHelp(ADMIN_COMMANDS));
    return print(commandHelp(target));
  }
  const command = findCommand(name);
  if (!command) return usageError(`unknown command '${name}'`, generalHelp(ADMIN_COMMANDS));
  if (asksForHelp(rest)) return print(commandHelp(command));
  let options;
  try {
    options = parseCommandOptions(command, rest);
  } catch (error) {
    if (error instanceof UsageError) return usageError(error.message, commandUsage(command));
    throw error;
  }
  if (target) {
    if (command.standalone || !command.remote) {
      process.stderr.write(
        `error: ${command.name} works on the database directly, not through the admin API: run it without --url / ADMIN_API_URL (on a stopped instance for the embedded database)\n`,
      );
      return EXIT_USAGE;
    }
    try {
      await command.remote(new AdminApiClient(target), options, (line) => process.stdout.write(`${line}\n`));
      return EXIT_OK;
    } catch (error) {
      if (error instanceof UsageError) return usageError(error.message, commandUsage(command));
      if (error instanceof AdminApiError) {
        process.stderr.write(`error: ${error.message}\n`);
        return EXIT_FAILURE;
      }
      throw error;
    }
  }
  if (command.standalone) {
    // Set-up commands run before there is a platform to open (no CA, no database yet).
    try {
      await command.run({ env: process.env, now: () => new Date() }, options, (line) => process.stdout.write(`${line}\n`));
      return EXIT_OK;
    } catch (error) {
      if (error instanceof UsageError) return usageError(error.message, commandUsage(command));
      throw error;
    }
  }
  const config = loadConfig();
  // Logs go to stderr: stdout is the command's output alone (--json pipes into other tools).
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', pino.destination(2));
  let context;
  try {
    context = await openAdminContext(config, logger);
  } catch (error) {
    if (error instanceof DirectoryLockedError) {
      process.stderr.write(
        `error: the service is running on this data directory: stop it first, then run the command again\n  (${error.message}; the embedded database cannot be shared between processes)\n`,
      );
      return EXIT_FAILURE;
    }
    throw error;
  }
  try {
    await command.run(context, options, (line) => process.stdout.write(`${line}\n`));
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) return usageError(error.message, commandUsage(command));
    throw error;
  } finally {
    await context.close();
  }
}

function findCommand(name: string): AnyAdminCommand | undefined {
  return ADMIN_COMMANDS.find((c) => c.name === name);
}

function commandUsage(command: CommandDeclaration): string {
  return `${usageLine(command)}\n(${INVOCATION} ${command.name} --help describes the options)\n`;
}

function print(text: string): number {
  process.stdout.write(text);
  return EXIT_OK;
}

function usageError(message: string, usage: string): number {
  process.stderr.write(`error: ${message}\n\n${usage}`);
  return EXIT_USAGE;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exit(EXIT_FAILURE);
  },
);
