import 'reflect-metadata';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../logging.js';
import { ADMIN_COMMANDS } from './commands/index.js';
import { openAdminContext } from './admin-context.js';

/**
 * Administrator CLI: `npm run admin -- <command> [options]`. Commands act on the same database and CA as the
 * service (DATABASE_URL / DATA_DIR), and every change they make is written to the audit log with the operator.
 */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = ADMIN_COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stdout.write(`usage: npm run admin -- <command> [options]\n\ncommands:\n${ADMIN_COMMANDS.map((c) => `  ${c.name.padEnd(28)} ${c.summary}`).join('\n')}\n`);
    return name === undefined || name === 'help' || name === '--help' ? 0 : 2;
  }
  const options = parseOptions(rest);
  const config = loadConfig();
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const context = await openAdminContext(config, logger);
  try {
    await command.run(context, options, (line) => process.stdout.write(`${line}\n`));
    return 0;
  } finally {
    await context.close();
  }
}

/** --key value pairs; a repeated key collects all values; a flag without value is 'true'. */
export function parseOptions(args: readonly string[]): Map<string, string[]> {
  const options = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const [key, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const value = inline ?? (args[i + 1] !== undefined && !args[i + 1]!.startsWith('--') ? args[++i]! : 'true');
    options.set(key, [...(options.get(key) ?? []), value]);
  }
  return options;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
