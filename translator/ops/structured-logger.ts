/**
 * The subset of a pino logger the bridge's parts log through (the IoT Hub link, direct methods);
 * pino loggers satisfy it, tests pass {@link SILENT_LOGGER} or a recorder.
 */
export interface StructuredLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A logger that drops everything. */
export const SILENT_LOGGER: StructuredLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
