/**
 * The system module identities `$edgeAgent` and `$edgeHub`. IoT Hub creates both for every IoT Edge
 * device; the bridge reads them with the device key (creating a missing one, and asking IoT Hub for
 * SAS keys when one has none, as iotedgehubdev does) and connects as `$edgeAgent` with that
 * module's own keys, so it needs no hub-level policy.
 */
import { formatConnectionString, parseDeviceConnectionString, type ConnectionString } from '../shared/index.js';
import { IOT_EDGE_MANAGED_BY, type KeyedIdentity } from './reconciler.js';
import { ModuleRegistryClient, RegistryError, type RegistryClientOptions } from './registry-client.js';

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

/** What the bridge needs to run in device-credential mode. */
export interface DeviceCredentials {
  device: ConnectionString;
  client: ModuleRegistryClient;
  system: SystemIdentities;
  /** `$edgeAgent` module connection string (the device's GatewayHostName kept, if it has one): what the bridge connects with. */
  edgeAgentConnectionString: string;
}

/**
 * From the device connection string: a registry client, the system identities and the `$edgeAgent`
 * connection string. Throws ConnectionStringError for a bad string, RegistryError when IoT Hub refuses.
 */
export async function openDeviceCredentials(deviceConnectionString: string, options: Omit<RegistryClientOptions, 'device'> = {}): Promise<DeviceCredentials> {
  const device = parseDeviceConnectionString(deviceConnectionString);
  const client = new ModuleRegistryClient({ ...options, device });
  const system = await ensureSystemIdentities(client);
  return { device, client, system, edgeAgentConnectionString: moduleConnectionString(device, system.edgeAgent, device.gatewayHostName) };
}

/** The `$edgeAgent` module connection string for a device connection string (reads or creates the identity). */
export async function edgeAgentConnectionString(deviceConnectionString: string, options: Omit<RegistryClientOptions, 'device'> = {}): Promise<string> {
  return (await openDeviceCredentials(deviceConnectionString, options)).edgeAgentConnectionString;
}
