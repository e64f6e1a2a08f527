import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { AdminContext } from './admin-context.js';
import { UsageError } from './usage-error.js';
import { isServiceError } from '../domain/errors.js';

export { UsageError };
import type { AdminApiClient } from './admin-api-client.js';
import { jsonDate, jsonId, type JsonValue } from '../services/admin/views.js';

export { jsonDate, jsonId, type JsonValue };

/**
 * How an admin command is declared, parsed and described. Each command declares its options once; the strict
 * `node:util` parseArgs configuration, the checks of required and repeated options, the typed values handed to the
 * command and its --help text all derive from that declaration.
 */

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const EXIT_CODES_HELP = [
  `  ${EXIT_OK}  success`,
  `  ${EXIT_FAILURE}  failure: the command was refused or could not run (the reason is on stderr)`,
  `  ${EXIT_USAGE}  usage error: unknown command or option, missing or repeated option, invalid value (usage on stderr)`,
].join('\n');

export const INVOCATION = 'npm run admin --';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  /** May be given several times; the value is then the list of all given values. Strings only. */
  readonly multiple?: boolean;
  readonly required?: boolean;
  /** What the value stands for in usage lines (string options), e.g. SSIN. */
  readonly placeholder?: string;
  /** The value when the option is not given (single string options). */
  readonly default?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The parsed value of each declared option: booleans are false when absent, optional strings undefined. */
export type OptionValues<O extends OptionSpecs> = {
  readonly [K in keyof O]: O[K]['type'] extends 'boolean'
    ? boolean
    : O[K]['multiple'] extends true
      ? readonly string[]
      : O[K]['required'] extends true
        ? string
        : O[K]['default'] extends string
          ? string
          : string | undefined;
};

export type OutputLine = (line: string) => void;

/** What every command declares: its name, what it does, its options. */
export interface CommandDeclaration<O extends OptionSpecs = OptionSpecs> {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** More about the command, for its --help. */
  readonly details?: string;
  readonly options: O;
}

/** A command on the platform's database and CA (the context opens them). */
export interface AdminCommand<O extends OptionSpecs = OptionSpecs> extends CommandDeclaration<O> {
  readonly standalone?: undefined;
  run(context: AdminContext, options: OptionValues<O>, out: OutputLine): Promise<void>;
  /** The same command on a running server, through its admin API (--url); absent: the command needs the database. */
  remote?(api: AdminApiClient, options: OptionValues<O>, out: OutputLine): Promise<void>;
}

/** What a command that runs before there is a platform gets (ca:init): no database, no CA. */
export interface StandaloneContext {
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
}

/** A command that runs without opening the platform: it sets up what the platform will open. */
export interface StandaloneCommand<O extends OptionSpecs = OptionSpecs> extends CommandDeclaration<O> {
  readonly standalone: true;
  run(context: StandaloneContext, options: OptionValues<O>, out: OutputLine): Promise<void>;
}

export type AnyAdminCommand = AdminCommand | StandaloneCommand;

/** Global options and environment that point the CLI at a running server. */
export const API_OPTIONS_HELP = [
  'To act on a running server, point the CLI at its admin listener with an officer credential (options before the',
  'command, or the environment):',
  '  --url URL    ADMIN_API_URL    https://host:port of the admin listener (default port 8443)',
  '  --cert FILE  ADMIN_API_CERT   the officer certificate (PEM)',
  '  --key FILE   ADMIN_API_KEY    its private key (PEM)',
  '  --ca FILE    ADMIN_API_CA     the CA chain of the listener (development: DATA_DIR/admin/ca-chain.pem)',
  'Without them, commands open the database directly, which is for a stopped instance only.',
].join('\n');

const HELP_OPTION = 'help';

export function defineCommand<const O extends OptionSpecs>(command: AdminCommand<O>): AdminCommand<O> {
  checkOptionSpecs(command);
  return command;
}

export function defineStandaloneCommand<const O extends OptionSpecs>(command: StandaloneCommand<O>): StandaloneCommand<O> {
  checkOptionSpecs(command);
  return command;
}

function checkOptionSpecs(command: CommandDeclaration): void {
  for (const [name, spec] of Object.entries(command.options)) {
    if (name === HELP_OPTION) throw new Error(`${command.name}: --help is reserved`);
    if (spec.type === 'boolean' && (spec.multiple || spec.required || spec.default !== undefined)) {
      throw new Error(`${command.name}: boolean option --${name} cannot be multiple, required or defaulted`);
    }
  }
}

export const JSON_OPTION = {
  json: { type: 'boolean', description: 'print a JSON array of objects (the same keys for every row; dates in ISO 8601, ids as strings) instead of text' },
} as const satisfies OptionSpecs;

/**
 * A command that lists rows: one text line per row and a count, or with --json one JSON array of objects whose keys
 * are those of `json` for every row.
 */
export function defineListCommand<const O extends OptionSpecs, R>(command: {
  readonly name: string;
  readonly summary: string;
  readonly details?: string;
  readonly options: O;
  /** Plural label of the count line, e.g. "mandate(s)". */
  readonly counted: string;
  list(context: AdminContext, options: OptionValues<O & typeof JSON_OPTION>): Promise<readonly R[]>;
  /** The same rows from a running server's admin API (they are then its JSON views: `json` must accept them). */
  remote?(api: AdminApiClient, options: OptionValues<O & typeof JSON_OPTION>): Promise<readonly R[]>;
  text(row: R): string;
  json(row: R): { readonly [key: string]: JsonValue };
}): AdminCommand<O & typeof JSON_OPTION> {
  const print = (rows: readonly R[], json: boolean, out: OutputLine) => {
    if (json) {
      out(
        JSON.stringify(
          rows.map((row) => command.json(row)),
          null,
          2,
        ),
      );
      return;
    }
    for (const row of rows) out(command.text(row));
    out(`${rows.length} ${command.counted}`);
  };
  const remote = command.remote;
  return defineCommand<O & typeof JSON_OPTION>({
    name: command.name,
    summary: command.summary,
    ...(command.details !== undefined ? { details: command.details } : {}),
    options: { ...command.options, ...JSON_OPTION },
    ...(remote ? { remote: async (api, options, out) => print(await remote(api, options), options.json === true, out) } : {}),
    async run(context, options, out) {
      print(await command.list(context, options), options.json === true, out);
    },
  });
}

/** Parses a command's arguments against its declaration; throws UsageError. */
export function parseCommandOptions<O extends OptionSpecs>(command: CommandDeclaration<O>, args: readonly string[]): OptionValues<O> {
  const config: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries(command.options)) {
    config[name] = { type: spec.type, multiple: spec.multiple ?? false, ...(spec.default !== undefined ? { default: spec.default } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: config, strict: true, allowPositionals: false, tokens: true });
  } catch (error) {
    throw new UsageError(describeParseError(error), command);
  }
  const given = new Map<string, number>();
  for (const token of parsed.tokens ?? []) if (token.kind === 'option') given.set(token.name, (given.get(token.name) ?? 0) + 1);
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(command.options)) {
    const value = parsed.values[name];
    if (!spec.multiple && (given.get(name) ?? 0) > 1) throw new UsageError(`--${name} given more than once`, command);
    if (spec.required && (value === undefined || (Array.isArray(value) && value.length === 0))) throw new UsageError(`--${name} is required`, command);
    values[name] = spec.type === 'boolean' ? value === true : spec.multiple ? (value ?? []) : value;
  }
  return values as OptionValues<O>;
}

/** parseArgs's messages end with advice about positionals that does not apply here. */
function describeParseError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = (error as Error).message;
  const quoted = /'([^']+)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted) return `unknown option ${quoted}`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && quoted) return `unexpected argument '${quoted}' (every value follows its --option)`;
  if (code?.startsWith('ERR_PARSE_ARGS_')) return message;
  throw error;
}

/** True when the arguments ask for the command's help (checked before parsing, so that help wins over errors). */
export function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

export function usageLine(command: CommandDeclaration): string {
  const parts = Object.entries(command.options).map(([name, spec]) => {
    const option = spec.type === 'boolean' ? `--${name}` : `--${name} ${spec.placeholder ?? 'VALUE'}`;
    const repeated = spec.multiple ? `${option} …` : option;
    return spec.required ? repeated : `[${repeated}]`;
  });
  return `usage: ${INVOCATION} ${command.name}${parts.length ? ` ${parts.join(' ')}` : ''}`;
}

export function commandHelp(command: CommandDeclaration): string {
  const rows: Array<[string, string]> = Object.entries(command.options).map(([name, spec]) => {
    const notes = [
      spec.required ? 'required' : undefined,
      spec.multiple ? 'repeatable' : undefined,
      spec.default !== undefined ? `default: ${JSON.stringify(spec.default)}` : undefined,
    ].filter((note) => note !== undefined);
    return [
      spec.type === 'boolean' ? `--${name}` : `--${name} ${spec.placeholder ?? 'VALUE'}`,
      `${spec.description}${notes.length ? ` (${notes.join(', ')})` : ''}`,
    ];
  });
  rows.push(['-h, --help', 'print this help']);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [
    usageLine(command),
    '',
    `${command.name}: ${command.summary}`,
    ...(command.details ? ['', command.details] : []),
    '',
    'options:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`),
    '',
    'exit codes:',
    EXIT_CODES_HELP,
    '',
  ].join('\n');
}

export function generalHelp(commands: readonly AnyAdminCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    `usage: ${INVOCATION} <command> [options]`,
    `       ${INVOCATION} <command> --help     the options of a command`,
    `       ${INVOCATION} help [<command>]`,
    '',
    API_OPTIONS_HELP,
    '',
    'Without --url, commands act on the database and CA of the service: DATABASE_URL, else the embedded database in',
    'DATA_DIR, which only one process may open at a time (stop the service first). Every change is written to the audit',
    'log with the officer (through the API) or the operator (ADMIN_OPERATOR, else the OS user).',
    '',
    'commands (* = on the database only, not through the API):',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.standalone || !c.remote ? '* ' : ''}${c.summary}`),
    '',
    'exit codes:',
    EXIT_CODES_HELP,
    '',
  ].join('\n');
}

/** Runs a service call for a command: a service refusal reads better with its code (`CODE: detail`, exit 1). */
export async function withServiceErrors<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (isServiceError(error)) throw new Error(`${error.code}: ${error.detail}`, { cause: error });
    throw error;
  }
}

/** Parses and runs one command on an open context: what the CLI does after opening it (tests call it in-process). */
export async function runAdminCommand(command: AnyAdminCommand, context: AdminContext, args: readonly string[], out: OutputLine): Promise<void> {
  if (command.standalone) throw new Error(`${command.name} runs without the platform: call it with a StandaloneContext`);
  await command.run(context, parseCommandOptions(command, args), out);
}
