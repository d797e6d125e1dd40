/**
 * `iotedge-k8s sandbox`: the built-in stand-ins for a cluster and an IoT Hub, for demos, module
 * development and tests. Runs until SIGINT/SIGTERM; writes `<stateDir>/kubeconfig` and
 * `<stateDir>/hub.json` once each emulator serves requests.
 */
import { resolve } from 'node:path';
import { startHubEmulator, type HubEmulator } from '../../sandbox/hub/index.js';
import { ImageCatalog, startKubeEmulator, type KubeEmulator } from '../../sandbox/kube/index.js';
import type { Io } from './main.js';

export interface SandboxFlags {
  stateDir: string;
  catalog?: string;
  lbPool: string[];
  kubePort?: number;
  mqttPort?: number;
  serviceHost?: string;
}

/** External IPs of the first sandbox's LoadBalancer Services (later sandboxes get their own, see docs/sandbox-kube.md). */
export const DEFAULT_LB_POOL = ['127.102.0.1-127.102.0.250'];

export async function runSandbox(flags: SandboxFlags, io: Io, stopSignal: Promise<unknown>): Promise<number> {
  const stateDir = resolve(flags.stateDir);
  const catalog = flags.catalog ? ImageCatalog.fromFile(flags.catalog) : undefined;
  let kube: KubeEmulator | undefined;
  let hub: HubEmulator | undefined;
  try {
    kube = await startKubeEmulator({
      stateDir,
      catalog,
      port: flags.kubePort,
      loadBalancerPool: flags.lbPool.length ? flags.lbPool : undefined,
    });
    hub = await startHubEmulator({ stateDir, mqttPort: flags.mqttPort, serviceHost: flags.serviceHost });
    io.stdout(
      [
        `Sandbox running (state in ${stateDir}); Ctrl-C stops it.`,
        `  Kubernetes API:  ${kube.url}`,
        `    kubectl --kubeconfig ${kube.kubeconfigPath} get pods -A`,
        `  IoT Hub:         service ${hub.serviceHost}:443, MQTT 127.0.0.1:${hub.mqttPort}, device '${hub.deviceId}'`,
        `    connection strings and CA: ${resolve(stateDir, 'hub.json')}`,
        '',
      ].join('\n'),
    );
    await stopSignal;
    io.stdout('Stopping the sandbox.\n');
    return 0;
  } finally {
    await hub?.stop();
    await kube?.stop();
  }
}
