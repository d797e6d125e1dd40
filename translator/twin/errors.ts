/**
 * Typed errors at the IoT Hub boundary. The device SDK raises untyped errors named after
 * azure-iot-common classes (UnauthorizedError, NotConnectedError, ...); {@link toTwinError}
 * turns any of them into a {@link TwinError} with a stable `kind`, and scrubs SAS tokens and
 * keys from the message so it is safe to log.
 */

/** What went wrong, independent of the SDK's class names. */
export type TwinErrorKind =
  /** Bad connection string, wrong key, revoked identity: retrying will not help. */
  | 'unauthorized'
  /** The link is down (or was closed); retry after reconnecting. */
  | 'not-connected'
  /** No answer in time. */
  | 'timeout'
  /** IoT Hub throttled or is over quota. */
  | 'throttled'
  /** IoT Hub refused the request's content (invalid property name, too large, bad JSON). */
  | 'rejected'
  /** IoT Hub failed (5xx). */
  | 'hub-error'
  /** The connection string or options are malformed. */
  | 'invalid-configuration'
  /** Anything else. */
  | 'unknown';

/** An IoT Hub link error with a kind and a message free of secrets. */
export class TwinError extends Error {
  override readonly name = 'TwinError';
  constructor(
    readonly kind: TwinErrorKind,
    message: string,
    /** The SDK's error class name, when there was one. */
    readonly sdkName?: string,
  ) {
    super(message);
  }

  /** True when retrying later can succeed. */
  get retryable(): boolean {
    return this.kind === 'not-connected' || this.kind === 'timeout' || this.kind === 'throttled' || this.kind === 'hub-error' || this.kind === 'unknown';
  }
}

const KIND_BY_SDK_NAME: Record<string, TwinErrorKind> = {
  UnauthorizedError: 'unauthorized',
  DeviceNotFoundError: 'unauthorized',
  IotHubNotFoundError: 'unauthorized',
  IoTHubSuspendedError: 'unauthorized',
  SecurityDeviceError: 'unauthorized',
  NotConnectedError: 'not-connected',
  TwinDetachedError: 'not-connected',
  DeviceMethodsDetachedError: 'not-connected',
  OperationCancelledError: 'not-connected',
  TimeoutError: 'timeout',
  GatewayTimeoutError: 'timeout',
  DeviceTimeoutError: 'timeout',
  ThrottlingError: 'throttled',
  IotHubQuotaExceededError: 'throttled',
  ArgumentError: 'rejected',
  FormatError: 'rejected',
  MessageTooLargeError: 'rejected',
  InvalidOperationError: 'rejected',
  PreconditionFailedError: 'rejected',
  TwinRequestError: 'rejected',
  InternalServerError: 'hub-error',
  ServiceUnavailableError: 'hub-error',
};

/** Removes SAS signatures, shared access keys and SAS tokens from text. */
export function scrubSecrets(text: string): string {
  return text
    .replace(/SharedAccessSignature\s+[^\s"',;]+(?:[&;][^\s"',;]+)*/gi, 'SharedAccessSignature <redacted>')
    .replace(/(SharedAccessKey\s*=\s*)[^;\s"']+/gi, '$1<redacted>')
    .replace(/([?&]sig=)[^&\s"']+/gi, '$1<redacted>');
}

/** Normalizes anything thrown by the device SDK (or by us) into a {@link TwinError}. */
export function toTwinError(error: unknown, context: string): TwinError {
  if (error instanceof TwinError) return error;
  const sdkName = error instanceof Error ? (error.constructor?.name !== 'Error' ? error.constructor.name : error.name) : undefined;
  const raw = error instanceof Error ? error.message : String(error);
  let kind: TwinErrorKind = (sdkName && KIND_BY_SDK_NAME[sdkName]) || 'unknown';
  if (kind === 'unknown' && /not authori[sz]ed|connection refused: not authorized/i.test(raw)) kind = 'unauthorized';
  if (kind === 'unknown' && /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|not connected|client disconnecting/i.test(raw)) kind = 'not-connected';
  const message = `${context}: ${scrubSecrets(raw) || sdkName || 'unknown error'}`;
  return new TwinError(kind, message, sdkName);
}
