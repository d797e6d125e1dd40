/**
 * The checks of `check` that need the cluster (DEVICE_CHECK_IDS): reachability and permissions,
 * the edgeHub certificate, the last-good deployment and the modules. The bridge runs them for
 * the direct method RunDeviceChecks (ours, not edgeAgent's), so a remote `check` gets the answer
 * a local one computes with the same function.
 */
import type { KubeConfig } from '../kube/index.js';
import { DEVICE_CHECK_IDS, clusterFacts, evaluateChecks, onlyChecks, type CheckFacts, type CheckResult } from './checks.js';
import { observedDevice, type ObservedDevice } from './modules.js';

/** The name of the direct method that answers {@link deviceChecks}. */
export const DEVICE_CHECKS_METHOD = 'RunDeviceChecks';

export interface DeviceChecksInput {
  kubeConfig: KubeConfig;
  namespace: string;
  /** The device whose modules are checked; without it the module check is skipped. */
  deviceId?: string;
  edgeHubCertificate: { name: string; key: string };
  now: Date;
  /** The device's last good deployment and modules, when the caller reads them for other checks too (else read here). */
  observed?: () => Promise<ObservedDevice | undefined>;
}

/** Runs the device-side checks; never throws (a failure is a failed check). */
export async function deviceChecks(input: DeviceChecksInput): Promise<CheckResult[]> {
  const facts: CheckFacts = { localTime: input.now, ...(await clusterFacts(input.kubeConfig, input.namespace, input.edgeHubCertificate)) };
  if (!facts.cluster?.ok) facts.modulesUnknown = 'not checked (the cluster did not answer)';
  else if (!input.deviceId) facts.modulesUnknown = `not checked (no IoT Edge device found in namespace '${input.namespace}')`;
  else {
    try {
      const deviceId = input.deviceId;
      const observed = await (input.observed ?? (() => observedDevice(input.kubeConfig, input.namespace, deviceId)))();
      if (observed) facts.modules = observed.modules;
      else facts.modulesUnknown = 'not checked (no deployment applied by the bridge yet)';
    } catch (e) {
      facts.modulesUnknown = `not checked (reading the modules failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`;
    }
  }
  return onlyChecks(evaluateChecks(facts), DEVICE_CHECK_IDS);
}
