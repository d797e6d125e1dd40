/**
 * The system module identities `$edgeAgent` and `$edgeHub`. IoT Hub creates both for every IoT Edge
 * device; the bridge reads them with the device key (creating a missing one, and asking IoT Hub for
 * SAS keys when one has none, as iotedgehubdev does) and connects as `$edgeAgent` with that
 * module's own keys, so it needs no hub-level policy.
 */
import { formatConnectionString, type ConnectionString } from '../shared/index.js';
import { IOT_EDGE_MANAGED_BY, type KeyedIdentity } from './reconciler.js';
import { ModuleRegistryClient, RegistryError } from './registry-client.js';

/** The two system identities, each with SAS keys. */
export interface SystemIdentities {
  edgeAgent: KeyedIdentity;
  edgeHub: KeyedIdentity;
}

/** Reads (creating when missing, keying when keyless) `$edgeAgent` and `$edgeHub`. Throws RegistryError. */
export async function ensureSystemIdentities(client: ModuleRegistryClient): Promise<SystemIdentities> {
  const ensure = async (moduleId: string): Promise<KeyedIdentity> => {
    let identity = (await client.get(moduleId)) ?? (await client.create(moduleId, IOT_EDGE_MANAGED_BY));
    if (!identity.keys) identity = await client.update(moduleId, identity.managedBy);
    if (!identity.keys) throw new RegistryError(`module identity '${moduleId}' of device '${client.deviceId}' has no SAS keys`, 200, 'NoKeys');
    return identity as KeyedIdentity;
  };
  return { edgeAgent: await ensure('$edgeAgent'), edgeHub: await ensure('$edgeHub') };
}

/** A module connection string built from the device's (same HostName) with the module's primary key. */
export function moduleConnectionString(device: ConnectionString, identity: KeyedIdentity, gatewayHostName?: string): string {
  return formatConnectionString({
    hostName: device.hostName,
    deviceId: device.deviceId,
    moduleId: identity.moduleId,
    sharedAccessKey: identity.keys.primaryKey,
    ...(gatewayHostName !== undefined ? { gatewayHostName } : {}),
  });
}
