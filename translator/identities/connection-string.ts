/**
 * IoT Hub connection strings: `HostName=<hub>;DeviceId=<device>[;ModuleId=<module>];SharedAccessKey=<base64>[;GatewayHostName=<host>]`.
 * Parsing is strict (unknown or repeated fields, a missing field or a key that is not base64 are
 * errors) and errors never repeat the key. Pure functions.
 */

/** A parsed device or module connection string. */
export interface ConnectionString {
  hostName: string;
  deviceId: string;
  /** Present for a module connection string. */
  moduleId?: string;
  sharedAccessKey: string;
  gatewayHostName?: string;
}

/** A connection string that cannot be used. The message names the field, never the key. */
export class ConnectionStringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionStringError';
  }
}

const FIELDS: Record<string, keyof ConnectionString> = {
  HostName: 'hostName',
  DeviceId: 'deviceId',
  ModuleId: 'moduleId',
  SharedAccessKey: 'sharedAccessKey',
  GatewayHostName: 'gatewayHostName',
};

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses a device or module connection string. `what` names it in errors (e.g. "--device-connection-string"). */
export function parseConnectionString(text: string, what = 'connection string'): ConnectionString {
  const fields: Partial<Record<keyof ConnectionString, string>> = {};
  for (const part of text.trim().split(';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq > 0 ? part.slice(0, eq) : part;
    const field = FIELDS[name];
    if (eq <= 0 || field === undefined) {
      if (name === 'SharedAccessKeyName') throw new ConnectionStringError(`${what} is a hub policy connection string (SharedAccessKeyName); a device connection string is needed`);
      if (name === 'x509') throw new ConnectionStringError(`${what} uses X.509 authentication, which is not supported yet; use a device with a symmetric key`);
      throw new ConnectionStringError(`${what} has an unknown field '${name.slice(0, 40)}' (expected HostName, DeviceId, ModuleId, SharedAccessKey, GatewayHostName)`);
    }
    if (fields[field] !== undefined) throw new ConnectionStringError(`${what} has ${name} twice`);
    const value = part.slice(eq + 1);
    if (value === '') throw new ConnectionStringError(`${what} has an empty ${name}`);
    fields[field] = value;
  }
  for (const name of ['HostName', 'DeviceId', 'SharedAccessKey'] as const) {
    if (fields[FIELDS[name]!] === undefined) throw new ConnectionStringError(`${what} has no ${name}`);
  }
  const key = fields.sharedAccessKey!;
  if (!BASE64.test(key) || Buffer.from(key, 'base64').length < 16) throw new ConnectionStringError(`${what}: SharedAccessKey is not a base64 key of at least 16 bytes`);
  return {
    hostName: fields.hostName!,
    deviceId: fields.deviceId!,
    ...(fields.moduleId !== undefined ? { moduleId: fields.moduleId } : {}),
    sharedAccessKey: key,
    ...(fields.gatewayHostName !== undefined ? { gatewayHostName: fields.gatewayHostName } : {}),
  };
}

/** Parses a device connection string (no ModuleId). */
export function parseDeviceConnectionString(text: string, what = 'device connection string'): ConnectionString {
  const parsed = parseConnectionString(text, what);
  if (parsed.moduleId !== undefined) throw new ConnectionStringError(`${what} names a module (ModuleId=${parsed.moduleId.slice(0, 64)}); the device's own connection string is needed`);
  return parsed;
}

/** Formats a connection string in the field order IoT Hub and the SDKs use. */
export function formatConnectionString(cs: ConnectionString): string {
  return [
    `HostName=${cs.hostName}`,
    `DeviceId=${cs.deviceId}`,
    ...(cs.moduleId !== undefined ? [`ModuleId=${cs.moduleId}`] : []),
    `SharedAccessKey=${cs.sharedAccessKey}`,
    ...(cs.gatewayHostName !== undefined ? [`GatewayHostName=${cs.gatewayHostName}`] : []),
  ].join(';');
}
