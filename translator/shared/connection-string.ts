/**
 * IoT Hub connection strings, the one parser every folder uses:
 * - device: `HostName=<hub>;DeviceId=<device>;SharedAccessKey=<base64>[;GatewayHostName=<host>]`;
 * - module: the same with `ModuleId=<module>` (the bridge's own `$edgeAgent` string);
 * - service (a hub policy): `HostName=<hub>;SharedAccessKeyName=<policy>;SharedAccessKey=<base64>`.
 * Parsing is strict (an unknown, repeated, empty or missing field, or a key that is not base64,
 * is an error) and an error names the field, never the key's value. Pure functions.
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

/** A parsed IoT Hub policy (service) connection string. */
export interface ServiceConnectionString {
  hostName: string;
  sharedAccessKeyName: string;
  sharedAccessKey: string;
}

/** Why a connection string cannot be used. */
export type ConnectionStringProblem =
  | 'unknown-field'
  | 'repeated-field'
  | 'empty-field'
  | 'missing-field'
  | 'bad-key'
  /** A hub policy string where a device or module string is needed, or the reverse. */
  | 'wrong-kind'
  | 'x509';

/** A connection string that cannot be used. The message names the field, never the key. */
export class ConnectionStringError extends Error {
  constructor(
    readonly problem: ConnectionStringProblem,
    message: string,
    /** The field at fault (`DeviceId`), when one is. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ConnectionStringError';
  }
}

type Field = 'HostName' | 'DeviceId' | 'ModuleId' | 'SharedAccessKey' | 'SharedAccessKeyName' | 'GatewayHostName';
const DEVICE_FIELDS: readonly Field[] = ['HostName', 'DeviceId', 'ModuleId', 'SharedAccessKey', 'GatewayHostName'];
const SERVICE_FIELDS: readonly Field[] = ['HostName', 'SharedAccessKeyName', 'SharedAccessKey'];

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The fields of `text`, each at most once, only those `allowed`, the `required` all present, the key base64. */
function fieldsOf(text: string, what: string, allowed: readonly Field[], required: readonly Field[], kind: 'device' | 'service'): Partial<Record<Field, string>> {
  const fields: Partial<Record<Field, string>> = {};
  for (const part of text.trim().split(';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq > 0 ? part.slice(0, eq) : part;
    if (eq <= 0 || !(allowed as readonly string[]).includes(name)) {
      if (kind === 'device' && name === 'SharedAccessKeyName') throw new ConnectionStringError('wrong-kind', `${what} is a hub policy connection string (SharedAccessKeyName); a device connection string is needed`, name);
      if (kind === 'service' && name === 'DeviceId') throw new ConnectionStringError('wrong-kind', `${what} is a device connection string (DeviceId); an IoT Hub policy connection string (SharedAccessKeyName) is needed`, name);
      if (name === 'x509') throw new ConnectionStringError('x509', `${what} uses X.509 authentication, which is not supported yet; use a device with a symmetric key`, name);
      throw new ConnectionStringError('unknown-field', `${what} has an unknown field '${name.slice(0, 40)}' (expected ${allowed.join(', ')})`, name.slice(0, 40));
    }
    const field = name as Field;
    if (fields[field] !== undefined) throw new ConnectionStringError('repeated-field', `${what} has ${name} twice`, name);
    const value = part.slice(eq + 1);
    if (value === '') throw new ConnectionStringError('empty-field', `${what} has an empty ${name}`, name);
    fields[field] = value;
  }
  for (const name of required) {
    if (fields[name] === undefined) throw new ConnectionStringError('missing-field', `${what} has no ${name}`, name);
  }
  const key = fields.SharedAccessKey!;
  if (!BASE64.test(key) || Buffer.from(key, 'base64').length < 16) throw new ConnectionStringError('bad-key', `${what}: SharedAccessKey is not a base64 key of at least 16 bytes`, 'SharedAccessKey');
  return fields;
}

/** Parses a device or module connection string. `what` names it in errors (e.g. "--device-connection-string"). */
export function parseConnectionString(text: string, what = 'connection string'): ConnectionString {
  const f = fieldsOf(text, what, DEVICE_FIELDS, ['HostName', 'DeviceId', 'SharedAccessKey'], 'device');
  return {
    hostName: f.HostName!,
    deviceId: f.DeviceId!,
    ...(f.ModuleId !== undefined ? { moduleId: f.ModuleId } : {}),
    sharedAccessKey: f.SharedAccessKey!,
    ...(f.GatewayHostName !== undefined ? { gatewayHostName: f.GatewayHostName } : {}),
  };
}

/** Parses a device connection string (no ModuleId). */
export function parseDeviceConnectionString(text: string, what = 'device connection string'): ConnectionString {
  const parsed = parseConnectionString(text, what);
  if (parsed.moduleId !== undefined) throw new ConnectionStringError('wrong-kind', `${what} names a module (ModuleId=${parsed.moduleId.slice(0, 64)}); the device's own connection string is needed`, 'ModuleId');
  return parsed;
}

/** Parses a module connection string (ModuleId required), such as the bridge's `$edgeAgent` one. */
export function parseModuleConnectionString(text: string, what = 'module connection string'): ConnectionString & { moduleId: string } {
  const parsed = parseConnectionString(text, what);
  if (parsed.moduleId === undefined) throw new ConnectionStringError('missing-field', `${what} has no ModuleId: a module connection string (HostName, DeviceId, ModuleId=$edgeAgent, SharedAccessKey) is needed`, 'ModuleId');
  return parsed as ConnectionString & { moduleId: string };
}

/** Parses an IoT Hub policy connection string (`HostName`, `SharedAccessKeyName`, `SharedAccessKey`). */
export function parseServiceConnectionString(text: string, what = 'IoT Hub connection string'): ServiceConnectionString {
  const f = fieldsOf(text, what, SERVICE_FIELDS, SERVICE_FIELDS, 'service');
  return { hostName: f.HostName!, sharedAccessKeyName: f.SharedAccessKeyName!, sharedAccessKey: f.SharedAccessKey! };
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
