/**
 * The checks of `check` that need the cluster (DEVICE_CHECK_IDS): reachability and permissions,
 * the edgeHub certificate, the last-good deployment and the modules. The bridge runs them for
 * the direct method RunDeviceChecks (ours, not edgeAgent's), so a remote `check` gets the answer
 * a local one computes with the same function.
 */
import type { KubeConfig } from '../kube/index.js';
import { DEVICE_CHECK_IDS, clusterFacts, evaluateChecks, onlyChecks, type CheckFacts, type CheckResult } from './checks.js';
import { clusterModules, lastGoodModel } from './modules.js';

/** The name of the direct method that answers {@link deviceChecks}. */
export const DEVICE_CHECKS_METHOD = 'RunDeviceChecks';

export interface DeviceChecksInput {
  kubeConfig: KubeConfig;
  namespace: string;
  /** The device whose modules are checked; without it the module check is skipped. */
  deviceId?: string;
  edgeHubCertificate: { name: string; key: string };
  now: Date;
}

/** Runs the device-side checks; never throws (a failure is a failed check). */
export async function deviceChecks(input: DeviceChecksInput): Promise<CheckResult[]> {
  const facts: CheckFacts = { localTime: input.now, ...(await clusterFacts(input.kubeConfig, input.namespace, input.edgeHubCertificate)) };
  if (!facts.cluster?.ok) facts.modulesUnknown = 'not checked (the cluster did not answer)';
  else if (!input.deviceId) facts.modulesUnknown = `not checked (no IoT Edge device found in namespace '${input.namespace}')`;
  else {
    try {
      const model = await lastGoodModel(input.kubeConfig, input.namespace);
      if (model) facts.modules = await clusterModules(input.kubeConfig, input.namespace, input.deviceId, model);
      else facts.modulesUnknown = 'not checked (no deployment applied by the bridge yet)';
    } catch (e) {
      facts.modulesUnknown = `not checked (reading the modules failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`;
    }
  }
  return onlyChecks(evaluateChecks(facts), DEVICE_CHECK_IDS);
}
