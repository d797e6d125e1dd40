/**
 * Applies IoT Edge deployments to edge devices: automatic and layered configurations (re-evaluated
 * when a configuration or a device's tags change) and `applyConfigurationContent` for one device.
 * The merge rules live in configurations.ts; this module reads the registry and writes the
 * resulting module desired documents back, which pushes desired patches to connected modules.
 */
import { badRequest } from './errors.js';
import { deploymentDesired, mergeModulesContent, validateModulesContent, type ModuleDesired } from './configurations.js';
import { isObject, type JsonObject } from './json.js';
import type { HubRegistry, IdentityRecord } from './registry.js';
import type { TargetView } from './target-condition.js';

/** The view of a device that target conditions evaluate. */
export function targetView(device: IdentityRecord): TargetView {
  return { deviceId: device.deviceId, tags: device.twin.tags, iotEdge: device.iotEdge ?? false, reported: device.twin.reported };
}

function write(registry: HubRegistry, deviceId: string, desired: ModuleDesired): void {
  for (const [moduleId, doc] of desired) registry.deployDesired(deviceId, moduleId, doc);
}

function currentDesired(registry: HubRegistry, deviceId: string): (moduleId: string) => JsonObject {
  return (moduleId) => registry.findIdentity(deviceId, moduleId)?.twin.desired ?? {};
}

/** Re-evaluates the automatic deployments for one edge device. Returns true when some deployment applies. */
export function evaluateDevice(registry: HubRegistry, deviceId: string): boolean {
  const device = registry.findIdentity(deviceId);
  if (!device || !device.iotEdge) return false;
  const desired = deploymentDesired(registry.listConfigurations(), targetView(device), currentDesired(registry, deviceId));
  if (!desired) return false;
  write(registry, deviceId, desired);
  return true;
}

/** Re-evaluates the automatic deployments for every edge device. */
export function evaluateAll(registry: HubRegistry): void {
  for (const device of registry.listDevices()) evaluateDevice(registry, device.deviceId);
}

/** `applyConfigurationContent`: sets the module twins of one edge device from a content document. */
export function applyContent(registry: HubRegistry, deviceId: string, content: unknown): void {
  const device = registry.getDevice(deviceId);
  if (!isObject(content)) throw badRequest('configuration content must be a JSON object');
  if (content.modulesContent === undefined) throw badRequest('only modulesContent (IoT Edge deployments) can be applied to a device');
  if (!device.iotEdge) throw badRequest(`device ${deviceId} is not an IoT Edge device`);
  const modules = validateModulesContent(content.modulesContent);
  write(registry, deviceId, mergeModulesContent([modules], currentDesired(registry, deviceId)));
}
