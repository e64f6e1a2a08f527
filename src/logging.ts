import pino, { type Logger, type LoggerOptions } from 'pino';
import type { FastifyBaseLogger } from 'fastify';

/** Paths that could ever carry secrets are redacted, whatever logs them. */
export const REDACTED_PATHS = [
  'passphrase',
  '*.passphrase',
  'pin',
  '*.pin',
  'privateKey',
  '*.privateKey',
  'password',
  '*.password',
  'req.headers.authorization',
  'req.headers.cookie',
];

/**
 * `service` (the application) is bound on every line. pino does not merge keys: a child binding or a logged object
 * that uses a key the parent already binds is written a second time in the same JSON line, so no log call may use
 * `service` (or `requestId`, bound on every request's logger) for anything else.
 */
export function loggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'ehealth-cert-platform' } };
}

/** The platform's logger: JSON lines on stdout, or on `destination` (tests capture the real output there). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

type LogArguments = Parameters<pino.LogFn>;
type LevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * fastify's per-request child logger (bindings: the request id), made on its first use at an enabled level. pino
 * serialises and redacts a child's bindings when the child is made, ~2 µs per request; at level warn nothing on
 * ETKDepot's hot path logs, so most requests never need one. A per-route log level (options.level) gets a real child
 * at once.
 */
export function deferredChildLogger(parent: FastifyBaseLogger, bindings: pino.Bindings, options: pino.ChildLoggerOptions): FastifyBaseLogger {
  return options.level === undefined ? new DeferredChildLogger(parent as unknown as Logger, bindings, options) : parent.child(bindings, options);
}

class DeferredChildLogger implements FastifyBaseLogger {
  #child: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: pino.Bindings,
    private readonly options: pino.ChildLoggerOptions,
  ) {}

  private get made(): Logger {
    return (this.#child ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return (this.#child ?? this.parent).level;
  }

  set level(level: string) {
    this.made.level = level;
  }

  private log(level: LevelName, args: LogArguments): void {
    if ((this.#child ?? this.parent).isLevelEnabled(level)) (this.made[level] as (...a: LogArguments) => void)(...args);
  }

  fatal(...args: LogArguments): void {
    this.log('fatal', args);
  }
  error(...args: LogArguments): void {
    this.log('error', args);
  }
  warn(...args: LogArguments): void {
    this.log('warn', args);
  }
  info(...args: LogArguments): void {
    this.log('info', args);
  }
  debug(...args: LogArguments): void {
    this.log('debug', args);
  }
  trace(...args: LogArguments): void {
    this.log('trace', args);
  }
  silent(): void {}

  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): FastifyBaseLogger {
    return this.made.child(bindings, options);
  }
}
