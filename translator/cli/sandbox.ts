/**
 * `iotedge-k8s sandbox` and `run --sandbox`: the built-in stand-ins for a cluster and an IoT
 * Hub, for demos, module development and tests. `sandbox` runs until SIGINT/SIGTERM; both write
 * `<stateDir>/kubeconfig` and `<stateDir>/hub.json` once each emulator serves requests.
 *
 * This is the only module of translator/ that loads sandbox/, and the CLI loads it lazily
 * (`import()`), so `validate`, `translate`, `push` and `run` without `--sandbox` never load
 * the emulators.
 */
import { resolve } from 'node:path';
import { BlobEmulatorError, ServiceBindError, startHubEmulator, type HubEmulator } from '../../sandbox/hub/index.js';
import { CatalogError, ImageCatalog, startKubeEmulator, type KubeEmulator, type KubeEmulatorOptions } from '../../sandbox/kube/index.js';
import { SandboxError } from './errors.js';
import type { Io } from './main.js';

/** What `hub monitor` needs to sign its request to the sandbox hub's event stream. */
export { createSas, EVENTS_PORT } from '../../sandbox/hub/index.js';

export interface SandboxFlags {
  stateDir: string;
  catalog?: string;
  lbPool: string[];
  kubePort?: number;
  mqttPort?: number;
  serviceHost?: string;
  /** Also run Azurite as the hub's blob endpoint (`sandbox` does; `run --sandbox` does not). */
  blobStorage?: boolean;
}

/** Both emulators, started. */
export interface Emulators {
  kube: KubeEmulator;
  hub: HubEmulator;
  stop(): Promise<void>;
}

/**
 * Starts the Kubernetes API emulator, then the IoT Hub emulator. A bad catalog or a busy
 * address is a {@link SandboxError} (one line for the CLI user); whatever started is stopped.
 */
export async function startEmulators(flags: Partial<SandboxFlags> & { stateDir: string }): Promise<Emulators> {
  const stateDir = resolve(flags.stateDir);
  let kube: KubeEmulator | undefined;
  try {
    const options: KubeEmulatorOptions = {
      stateDir,
      catalog: flags.catalog ? ImageCatalog.fromFile(flags.catalog) : undefined,
      port: flags.kubePort,
      loadBalancerPool: flags.lbPool?.length ? flags.lbPool : undefined,
    };
    kube = await startKubeEmulator(options);
    const hub = await startHubEmulator({ stateDir, mqttPort: flags.mqttPort, serviceHost: flags.serviceHost, ...(flags.blobStorage ? { blobStorage: true } : {}) });
    const started = kube;
    return {
      kube: started,
      hub,
      stop: async () => {
        await hub.stop();
        await started.stop();
      },
    };
  } catch (e) {
    await kube?.stop();
    if (e instanceof CatalogError || e instanceof ServiceBindError || e instanceof BlobEmulatorError) throw new SandboxError(e.message);
    throw e;
  }
}

export async function runSandbox(flags: SandboxFlags, io: Io, stopSignal: Promise<unknown>): Promise<number> {
  const stateDir = resolve(flags.stateDir);
  const emulators = await startEmulators({ ...flags, blobStorage: true });
  try {
    const { kube, hub } = emulators;
    io.stdout(
      [
        `Sandbox running (state in ${stateDir}); Ctrl-C stops it.`,
        `  Kubernetes API:  ${kube.url}`,
        `    kubectl --kubeconfig ${kube.kubeconfigPath} get pods -A`,
        `  IoT Hub:         service ${hub.serviceHost}:443, MQTT 127.0.0.1:${hub.mqttPort}, device '${hub.deviceId}'`,
        `    connection strings and CA: ${resolve(stateDir, 'hub.json')}`,
        ...(hub.blob ? [`  Blob storage:    ${hub.blob.serviceUrl} (Azurite), container '${hub.blob.container}': SAS URL in hub.json (blobContainerSasUrl)`] : []),
        '',
      ].join('\n'),
    );
    await stopSignal;
    io.stdout('Stopping the sandbox.\n');
    return 0;
  } finally {
    await emulators.stop();
  }
}
