/**
 * Typed errors of the IoT Hub emulator. Every error carries the HTTP status IoT Hub would answer
 * with and an IoT Hub style error code name (`DeviceNotFound`, `PreconditionFailed`, ...), so the
 * service API and the MQTT twin channel can both translate it without string matching.
 * Messages never contain keys or signatures.
 */
export class HubError extends Error {
  constructor(
    /** HTTP status IoT Hub answers with for this error. */
    readonly status: number,
    /** IoT Hub error code name, e.g. `DeviceNotFound`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

/** 404 for a device or module identity that is not in the registry. */
export function notFound(what: string): HubError {
  return new HubError(404, what.includes('/') ? 'ModuleNotFound' : 'DeviceNotFound', `${what} not found`);
}

/** 400 for malformed requests. */
export function badRequest(message: string): HubError {
  return new HubError(400, 'ArgumentInvalid', message);
}

/** Raised when the service HTTPS API cannot listen on its address (commonly port 443 without privileges). */
export class ServiceBindError extends Error {
  constructor(address: string, port: number, reason: string) {
    super(`IoT Hub emulator: cannot listen on https://${address}:${port} for the service API: ${reason}`);
    this.name = 'ServiceBindError';
  }
}
