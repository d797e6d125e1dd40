/**
 * Structured logging for the bridge: pino JSON lines, with every field that could carry a secret
 * redacted wherever it appears (connection strings, passwords, SAS keys and tokens, HTTP
 * authorization headers). Each reconcile logs through a child logger that carries its id.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

/** The text that replaces a redacted value. */
export const REDACTED = '[redacted]';

/** Keys redacted at the top level and up to three levels deep (pino paths cannot recurse). */
const SECRET_KEYS = [
  'connectionString',
  'hubConnectionString',
  'password',
  'sharedAccessKey',
  'SharedAccessKey',
  'primaryKey',
  'secondaryKey',
  'sas',
  'sasToken',
  'authorization',
  'Authorization',
];

/** pino redact paths: each secret key at depths 0-3, plus request/response headers. */
export function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SECRET_KEYS) {
    paths.push(key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`);
  }
  paths.push('req.headers.authorization', 'headers.authorization', 'headers.Authorization', '*.headers.authorization', '*.headers.Authorization');
  return paths;
}

/** Log level names pino understands. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Minimum level written. @default 'info' */
  level?: LogLevel;
  /** Where JSON lines go (a writable stream or a pino destination). @default standard output */
  destination?: DestinationStream;
}

/** A pino logger writing JSON lines, with secret fields redacted. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const config = {
    level: options.level ?? 'info',
    base: { name: 'iotedge-k8s' },
    redact: { paths: redactPaths(), censor: REDACTED },
  };
  return options.destination === undefined ? pino(config) : pino(config, options.destination);
}

/** A `(level, msg, fields?)` log function (the shape translator/reconcile's `ReconcileLog` takes). */
export type LevelLog = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: object) => void;

/** Adapts a pino logger to a {@link LevelLog}; fields go through the same redaction. */
export function levelLog(logger: Logger): LevelLog {
  return (level, msg, fields) => logger[level](fields ?? {}, msg);
}
