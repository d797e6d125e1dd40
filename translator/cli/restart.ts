/**
 * `iotedge-k8s restart MODULE`: edgeAgent's RestartModule (a rollout restart of the module's
 * Deployment, or a new pod of its Job), locally or through IoT Hub. Prints the module id, as
 * `iotedge restart` does (Azure/iotedge edgelet/iotedge/src/restart.rs).
 */
import type { DeviceAccess } from './device.js';
import { DeviceVerbError } from './errors.js';
import { machine, type OutputFormat } from './output.js';

export async function restart(device: DeviceAccess, moduleId: string, format: OutputFormat): Promise<string> {
  const answer = await device.call('RestartModule', { schemaVersion: '1.0', id: moduleId });
  if (answer.status !== 200) throw new DeviceVerbError((answer.payload as { message?: string } | null)?.message ?? `RestartModule answered ${answer.status}`);
  return format === 'table' ? `${moduleId}\n` : machine({ restarted: moduleId, deviceId: device.deviceId }, format);
}
