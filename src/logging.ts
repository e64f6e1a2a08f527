import pino, { type Logger, type LoggerOptions } from 'pino';

/** Paths that could ever carry secrets are redacted, whatever logs them. */
export const REDACTED_PATHS = [
  'passphrase', '*.passphrase', 'pin', '*.pin', 'privateKey', '*.privateKey', 'password', '*.password',
  'req.headers.authorization', 'req.headers.cookie',
];

export function loggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'ehealth-cert-platform' } };
}

export function createLogger(level: string): Logger {
  return pino(loggerOptions(level));
}
