/**
 * Labels and annotations every object carries, so the bridge (and Azure Stack Edge tooling)
 * can find and prune what it owns. Module-scoped objects carry the module label and the
 * original module id annotation; shared objects (pull Secrets, claims used by several modules)
 * carry only the device labels.
 */
import { toLabelValue } from './names.js';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const NAME_LABEL = 'app.kubernetes.io/name';
export const DEVICE_LABEL = 'net.azure-devices.edge.deviceid';
export const MODULE_LABEL = 'net.azure-devices.edge.module';
export const HUB_LABEL = 'net.azure-devices.edge.hub';
export const MANAGED_BY = 'iotedge-k8s';

/** Annotation with the module id exactly as the manifest spells it. */
export const ORIGINAL_MODULE_ID_ANNOTATION = 'net.azure-devices.edge.original-moduleid';
/** Pod template annotation with the module's `version`: changing it rolls the pods, as IoT Edge restarts the module. */
export const MODULE_VERSION_ANNOTATION = 'net.azure-devices.edge.module-version';

/** Device-wide label values, sanitized once per translation. */
export interface DeviceLabels {
  deviceId: string;
  hub: string;
}

export function deviceLabels(deviceId: string, hubHostname: string): DeviceLabels {
  return { deviceId: toLabelValue(deviceId), hub: toLabelValue(hubHostname) };
}

/** The labels of an object named `objectName`; `moduleName` (a Kubernetes name) for module-scoped objects. */
export function objectLabels(device: DeviceLabels, objectName: string, moduleName?: string): Record<string, string> {
  return labelsNamed(device, toLabelValue(objectName), moduleName);
}

/**
 * {@link objectLabels} of a module-scoped object whose name the translation assigned (the module's
 * name, its `-published` Service): such a name is a DNS-1035 label, which is already a label
 * value, so it is not checked again for every module.
 */
export function assignedObjectLabels(device: DeviceLabels, objectName: string, moduleName: string): Record<string, string> {
  return labelsNamed(device, objectName, moduleName);
}

/** The labels, `nameValue` being a label value already. */
function labelsNamed(device: DeviceLabels, nameValue: string, moduleName: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [NAME_LABEL]: nameValue,
    [DEVICE_LABEL]: device.deviceId,
    [HUB_LABEL]: device.hub,
  };
  if (moduleName !== undefined) labels[MODULE_LABEL] = moduleName;
  return labels;
}

/** The selector of a module's pods: device, module and managed-by. */
export function selectorLabels(device: DeviceLabels, moduleName: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY, [DEVICE_LABEL]: device.deviceId, [MODULE_LABEL]: moduleName };
}

/**
 * Label selector of the objects owned by one device: managed-by plus the device label, as
 * {@link objectLabels} writes them. Reconcile, status and the direct methods select by it.
 */
export function ownedSelector(deviceId: string): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY},${DEVICE_LABEL}=${toLabelValue(deviceId)}`;
}

/** True when `labels` carry both ownership labels of the device. */
export function isOwnedBy(labels: Readonly<Record<string, string>> | undefined, deviceId: string): boolean {
  return labels?.[MANAGED_BY_LABEL] === MANAGED_BY && labels[DEVICE_LABEL] === toLabelValue(deviceId);
}

/** Metadata of a module-scoped object (named after the module: its ServiceAccount, headless Service and workload). */
export type ModuleMetadata = { annotations: Record<string, string>; labels: Record<string, string>; name: string; namespace: string };

/**
 * What the objects of one module share, built once per module: the SAME objects (not copies)
 * appear in each of its objects, so translated objects are read-only (see canonical.ts).
 * `labels` are the module's {@link objectLabels} (its ServiceAccount, headless Service, workload
 * and pod template), `selector` its {@link selectorLabels} (workload and Services), `metadata`
 * its {@link moduleMetadata} (ServiceAccount, workload, and the headless Service when the
 * module has no Docker Labels).
 */
export interface ModuleLabels {
  labels: Record<string, string>;
  selector: Record<string, string>;
  metadata: ModuleMetadata;
}

export function moduleLabels(device: DeviceLabels, namespace: string, name: string, originalModuleId: string): ModuleLabels {
  const metadata = moduleMetadata(device, namespace, name, originalModuleId);
  return { labels: metadata.labels, selector: selectorLabels(device, name), metadata };
}

/** Metadata of a module-scoped object; `name` is the module's assigned Kubernetes name (a DNS-1035 label). */
export function moduleMetadata(
  device: DeviceLabels,
  namespace: string,
  name: string,
  originalModuleId: string,
): ModuleMetadata {
  // Keys in output order (see canonical.ts), as in every builder.
  return {
    annotations: { [ORIGINAL_MODULE_ID_ANNOTATION]: originalModuleId },
    labels: assignedObjectLabels(device, name, name),
    name,
    namespace,
  };
}
