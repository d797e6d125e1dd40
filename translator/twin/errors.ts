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
  /** IoT Hub's (or the gateway's) TLS certificate is not trusted: a CA is missing (`--ca`). */
  | 'untrusted-certificate'
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

/** Why a connection to IoT Hub failed, when that is known. */
export type ConnectionFailure = 'untrusted-certificate' | 'connection-refused' | 'dns' | 'unauthorized';

/** An IoT Hub link error with a kind and a message free of secrets. */
export class TwinError extends Error {
  override readonly name = 'TwinError';
  constructor(
    readonly kind: TwinErrorKind,
    message: string,
    /** The SDK's error class name, when there was one. */
    readonly sdkName?: string,
    /** For a failed connection: its cause. */
    readonly connection?: ConnectionFailure,
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

/** The innermost error's message (what really happened), else `raw`. */
function detail(error: unknown, raw: string): string {
  const inner = causes(error).filter((c) => c.message !== '').at(-1);
  const text = (inner?.message ?? raw).replace(/^(mqtt\.js returned )?Failure on first connection \(Not authori[sz]ed\):\s*/i, '');
  return inner?.code && !text.includes(inner.code) ? `${inner.code}: ${text}` : text;
}

/** Removes SAS signatures, shared access keys and SAS tokens from text. */
export function scrubSecrets(text: string): string {
  return text
    .replace(/SharedAccessSignature\s+[^\s"',;]+(?:[&;][^\s"',;]+)*/gi, 'SharedAccessSignature <redacted>')
    .replace(/(SharedAccessKey\s*=\s*)[^;\s"']+/gi, '$1<redacted>')
    .replace(/([?&]sig=)[^&\s"']+/gi, '$1<redacted>');
}

const CERTIFICATE_CODE = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_)/;
const CERTIFICATE_TEXT = /self[- ]signed certificate|unable to (verify|get (local )?issuer)|certificate (has expired|is not yet valid|signature failure)|does not match certificate's altnames|unknown ca/i;

/** The error the SDK wraps (azure-iot-device keeps mqtt.js's as `transportError`), and so on down. */
function causes(error: unknown): { code?: string; message: string }[] {
  const out: { code?: string; message: string }[] = [];
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const record = e as { code?: unknown; message?: unknown; transportError?: unknown; cause?: unknown };
    out.push({ code: typeof record.code === 'string' ? record.code : undefined, message: typeof record.message === 'string' ? record.message : '' });
    e = record.transportError ?? record.cause;
  }
  return out;
}

/**
 * The cause of a failed connection, from the wrapped errors' codes and texts: the device SDK
 * reports every failure of a first connection as UnauthorizedError ("Not authorized"), whatever
 * happened (see azure-iot-device's mqtt translate_error.js), so the class name alone says nothing.
 */
export function connectionFailure(error: unknown): ConnectionFailure | undefined {
  const chain = causes(error);
  const text = chain.map((c) => c.message).join(' ');
  const has = (code: RegExp, words: RegExp) => chain.some((c) => c.code !== undefined && code.test(c.code)) || words.test(text);
  if (has(CERTIFICATE_CODE, CERTIFICATE_TEXT)) return 'untrusted-certificate';
  if (has(/^ECONNREFUSED$/, /\bECONNREFUSED\b/)) return 'connection-refused';
  if (has(/^(ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL)$/, /\b(ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL)\b/)) return 'dns';
  if (/not authori[sz]ed|bad user ?name or password|unauthorized/i.test(text)) return 'unauthorized';
  return undefined;
}

const FAILURE_HINT: Record<ConnectionFailure, string> = {
  'untrusted-certificate': "IoT Hub's TLS certificate is not trusted; pass the CA that signed it with --ca FILE (a gateway's or the sandbox's hub-ca.pem)",
  'connection-refused': 'the connection was refused: nothing listens at that address; check HostName (and GatewayHostName) in the connection string, and that IoT Hub or the gateway is up',
  dns: 'the host name does not resolve; check HostName (and GatewayHostName) in the connection string and the DNS of this machine',
  unauthorized: 'IoT Hub refused the credentials; check the SharedAccessKey of the $edgeAgent connection string and that the device and its $edgeAgent identity exist',
};

const KIND_BY_FAILURE: Record<ConnectionFailure, TwinErrorKind> = {
  'untrusted-certificate': 'untrusted-certificate',
  'connection-refused': 'not-connected',
  dns: 'not-connected',
  unauthorized: 'unauthorized',
};

/** Normalizes anything thrown by the device SDK (or by us) into a {@link TwinError}. */
export function toTwinError(error: unknown, context: string): TwinError {
  if (error instanceof TwinError) return error;
  const sdkName = error instanceof Error ? (error.constructor?.name !== 'Error' ? error.constructor.name : error.name) : undefined;
  const raw = error instanceof Error ? error.message : String(error);
  const failure = sdkName === 'UnauthorizedError' || sdkName === 'NotConnectedError' || sdkName === undefined || sdkName === 'Error' ? connectionFailure(error) : undefined;
  if (failure) return new TwinError(KIND_BY_FAILURE[failure], `${context}: ${FAILURE_HINT[failure]} (${scrubSecrets(detail(error, raw))})`, sdkName, failure);
  let kind: TwinErrorKind = (sdkName && KIND_BY_SDK_NAME[sdkName]) || 'unknown';
  if (kind === 'unknown' && /not authori[sz]ed|connection refused: not authorized/i.test(raw)) kind = 'unauthorized';
  if (kind === 'unknown' && /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|not connected|client disconnecting/i.test(raw)) kind = 'not-connected';
  const message = `${context}: ${scrubSecrets(raw) || sdkName || 'unknown error'}`;
  return new TwinError(kind, message, sdkName);
}
