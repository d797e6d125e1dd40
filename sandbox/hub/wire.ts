/**
 * JSON shapes of the IoT Hub service REST API (api-version 2021-04-12) for devices, modules and
 * twins, as the azure-iothub SDK reads them. Pure serializers.
 */
import type { JsonObject } from './json.js';
import type { IdentityRecord } from './registry.js';
import { twinEtag } from './twin.js';

const EPOCH = '0001-01-01T00:00:00Z';

function authentication(identity: IdentityRecord): JsonObject {
  return {
    symmetricKey: { primaryKey: identity.keys.primaryKey, secondaryKey: identity.keys.secondaryKey },
    x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
    type: 'sas',
  };
}

/** A device identity as `GET /devices/{id}` returns it. */
export function deviceJson(device: IdentityRecord, connected: boolean): JsonObject {
  return {
    deviceId: device.deviceId,
    generationId: device.generationId,
    etag: device.etag,
    connectionState: connected ? 'Connected' : 'Disconnected',
    status: device.status,
    statusReason: null,
    connectionStateUpdatedTime: EPOCH,
    statusUpdatedTime: EPOCH,
    lastActivityTime: EPOCH,
    cloudToDeviceMessageCount: 0,
    authentication: authentication(device),
    capabilities: { iotEdge: device.iotEdge ?? false },
  };
}

/** A module identity as `GET /devices/{d}/modules/{m}` returns it. */
export function moduleJson(module: IdentityRecord, connected: boolean): JsonObject {
  return {
    deviceId: module.deviceId,
    moduleId: module.moduleId ?? '',
    generationId: module.generationId,
    etag: module.etag,
    connectionState: connected ? 'Connected' : 'Disconnected',
    connectionStateUpdatedTime: EPOCH,
    lastActivityTime: EPOCH,
    cloudToDeviceMessageCount: 0,
    authentication: authentication(module),
    ...(module.managedBy !== undefined ? { managedBy: module.managedBy } : {}),
  };
}

/** A device or module twin as `GET /twins/{d}[/modules/{m}]` returns it. */
export function twinJson(identity: IdentityRecord, device: IdentityRecord, connected: boolean): JsonObject {
  const twin = identity.twin;
  return {
    deviceId: identity.deviceId,
    ...(identity.moduleId !== undefined ? { moduleId: identity.moduleId } : {}),
    etag: twinEtag(twin),
    deviceEtag: identity.etag,
    status: device.status,
    statusUpdateTime: EPOCH,
    connectionState: connected ? 'Connected' : 'Disconnected',
    lastActivityTime: EPOCH,
    cloudToDeviceMessageCount: 0,
    authenticationType: 'sas',
    x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
    version: twin.version,
    tags: twin.tags,
    properties: {
      desired: { ...twin.desired, $version: twin.desiredVersion },
      reported: { ...twin.reported, $version: twin.reportedVersion },
    },
    capabilities: { iotEdge: device.iotEdge ?? false },
  };
}
