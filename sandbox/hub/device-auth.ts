/**
 * How the hub authenticates an MQTT CONNECT: the client id names the identity (`d` or `d/m`), the
 * username must be `<hostName>/<clientId>/...`, and the password must be a SAS token for that
 * identity (`sr` = `<hostName>/devices/<d>[/modules/<m>]`, where the host name is the hub's name or its service address, signed with one of its keys) or, with
 * `skn=iothubowner`, a token signed with the hub policy key. Expired tokens and disabled identities
 * are refused. Reasons never include key material.
 */
import type { HubRegistry } from './registry.js';
import { checkSas, parseSas } from './sas.js';
import { parseClientId, type ClientIdentity } from './topics.js';

/** Name of the hub-level policy the emulator knows. */
export const OWNER_POLICY = 'iothubowner';

/** Result of authenticating a CONNECT packet. */
export type DeviceAuthResult = { ok: true; identity: ClientIdentity } | { ok: false; reason: string };

/** Authenticates a device or module connection. `nowSeconds` is the current time in seconds. */
export function authenticateDevice(
  registry: HubRegistry,
  hostNames: readonly string[],
  clientId: string,
  username: string | undefined,
  password: Buffer | undefined,
  nowSeconds: number,
): DeviceAuthResult {
  const id = parseClientId(clientId);
  if (!id) return { ok: false, reason: `client id '${clientId.slice(0, 300)}' is not 'deviceId' or 'deviceId/moduleId'` };
  const user = username?.toLowerCase() ?? '';
  if (!hostNames.some((h) => user.startsWith(`${h}/${clientId}/`.toLowerCase()))) {
    return { ok: false, reason: `username must start with '<hub host name>/${clientId}/'` };
  }
  const identity = registry.findIdentity(id.deviceId, id.moduleId);
  if (!identity) return { ok: false, reason: `identity ${clientId} is not registered` };
  if (registry.getDevice(id.deviceId).status !== 'enabled') return { ok: false, reason: `device ${id.deviceId} is disabled` };
  const token = password ? parseSas(password.toString('utf8')) : undefined;
  if (!token) return { ok: false, reason: 'password is not a SharedAccessSignature token' };
  const own = hostNames.map((h) => `${h}/devices/${id.deviceId}${id.moduleId === undefined ? '' : `/modules/${id.moduleId}`}`);
  const check = token.skn
    ? token.skn === OWNER_POLICY
      ? checkSas(token, [registry.policyKey], [...hostNames, ...own], nowSeconds)
      : { ok: false as const, reason: `unknown shared access policy '${token.skn.slice(0, 64)}'` }
    : checkSas(token, [identity.keys.primaryKey, identity.keys.secondaryKey], own, nowSeconds);
  return check.ok ? { ok: true, identity: id } : { ok: false, reason: check.reason };
}
