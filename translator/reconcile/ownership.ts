/**
 * Which objects belong to a device: `app.kubernetes.io/managed-by: iotedge-k8s` plus the device
 * label, in the device namespace. The kinds themselves are in the kind registry (kinds/).
 */
import { DEVICE_LABEL, MANAGED_BY, MANAGED_BY_LABEL, MODULE_LABEL, ORIGINAL_MODULE_ID_ANNOTATION } from '../translate/labels.js';
import { toLabelValue } from '../translate/names.js';

export { MANAGED_BY, MANAGED_BY_LABEL, MODULE_LABEL, ORIGINAL_MODULE_ID_ANNOTATION };

/** The label value of a device id, as the translator writes it. */
function deviceLabelValue(deviceId: string): string {
  return toLabelValue(deviceId);
}

/** Label selector of the objects owned by one device. */
export function ownedSelector(deviceId: string): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY},${DEVICE_LABEL}=${deviceLabelValue(deviceId)}`;
}

/** True when the object carries both ownership labels for the device. */
export function isOwnedBy(labels: Record<string, string> | undefined, deviceId: string): boolean {
  return labels?.[MANAGED_BY_LABEL] === MANAGED_BY && labels[DEVICE_LABEL] === deviceLabelValue(deviceId);
}
