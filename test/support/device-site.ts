/**
 * The hub + cluster set-up tests share: the sandbox IoT Hub (its edge device seeded) and a
 * cluster, with the real clients tests read them with (azure-iothub's Registry,
 * @kubernetes/client-node), and the `run` flags of a bridge for that device.
 * - {@link startDeviceSite}: both emulators in one state folder (end-to-end tests of `run`);
 *   the hub can be stopped and started again on the same addresses (an outage).
 * - {@link openDeviceCluster}: the hub and {@link openCluster} (a real cluster when KUBECONFIG is
 *   set), for tests of the identities against the Kubernetes API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'azure-iothub';
import { startHubEmulator, trustHubCa, type HubEmulator, type HubEmulatorOptions } from '../../sandbox/hub/index.js';
import { startKubeEmulator, type KubeEmulator, type KubeEmulatorOptions } from '../../sandbox/kube/index.js';
import type { RunFlags } from '../../translator/cli/index.js';
import { openCluster, type TestCluster } from './cluster.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- twins are free-form JSON here
type Json = any;

/** How the bridge authenticates: the `$edgeAgent` module string, or the device's. */
export type CredentialMode = 'connection-string' | 'device-connection-string';

export interface DeviceSite {
  stateDir: string;
  kube: KubeEmulator;
  /** The hub as last started (see {@link restartHub}). */
  hub: HubEmulator;
  kc: KubeConfig;
  apps: AppsV1Api;
  core: CoreV1Api;
  /** azure-iothub's Registry of the hub as last started, trusting its CA. */
  registry: Registry;
  /** `$edgeAgent`'s reported properties, read with azure-iothub. */
  reported(): Promise<Json>;
  /** `run`'s flags for the device on this site (its cluster, the hub's CA, a free ops port on 127.0.0.1). */
  runFlags(namespace: string, mode?: CredentialMode, more?: Partial<RunFlags>): RunFlags;
  /** Stops the hub (an outage); {@link restartHub} brings it back. */
  stopHub(): Promise<void>;
  /** Starts the hub again with the same state, service address and MQTT port. */
  restartHub(): Promise<HubEmulator>;
  /** Stops both (and the hub's Registry client), and removes the state folder this helper made. */
  stop(): Promise<void>;
}

export interface DeviceSiteOptions {
  /** Loopback address of the hub's service API: one per test file, so that files never collide. */
  serviceHost: string;
  /** Options of the Kubernetes emulator. @default { timeFactor: 0.01 } */
  kube?: Omit<KubeEmulatorOptions, 'stateDir'>;
  hub?: Omit<HubEmulatorOptions, 'stateDir' | 'serviceHost'>;
  /** @default a new temporary folder (removed by stop()) */
  stateDir?: string;
}

/** 20000 + the last byte of the (per-file) service address: fixed, and outside 32768-60999. */
export function mqttPortFor(serviceHost: string): number {
  const last = Number(serviceHost.split('.').pop());
  if (!Number.isInteger(last) || last < 0 || last > 255) throw new Error(`not an IPv4 address: ${serviceHost}`);
  return 20_000 + last;
}

/** Both emulators in one state folder; see {@link DeviceSite}. */
export async function startDeviceSite(options: DeviceSiteOptions): Promise<DeviceSite> {
  const ownDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'iotedge-k8s-site-'));
  const kube = await startKubeEmulator({ timeFactor: 0.01, ...options.kube, stateDir });
  // A restart must find its MQTT port free: a port the system handed out (0) may meanwhile be
  // taken by any connection of another test worker, so the port is fixed, below the ephemeral
  // range and derived from the file's own service address.
  const mqttPort = options.hub?.mqttPort ?? mqttPortFor(options.serviceHost);
  const hubOptions: HubEmulatorOptions = { ...options.hub, stateDir, serviceHost: options.serviceHost, mqttPort };
  let hub: HubEmulator | undefined = await startHubEmulator(hubOptions);
  const kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig);
  let registry = trustHubCa(Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  const current = (): HubEmulator => {
    if (!hub) throw new Error('the hub is stopped');
    return hub;
  };
  const site: DeviceSite = {
    stateDir,
    kube,
    get hub() {
      return current();
    },
    kc,
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    get registry() {
      return registry;
    },
    async reported() {
      return ((await registry.getModuleTwin(current().deviceId, '$edgeAgent')).responseBody as Json).properties.reported;
    },
    runFlags(namespace, mode = 'connection-string', more = {}) {
      const h = current();
      const credential = mode === 'connection-string' ? { connectionString: h.edgeAgentConnectionString } : { deviceConnectionString: h.deviceConnectionString };
      return { kubeconfig: kube.kubeconfigPath, namespace, ...credential, ca: h.caFile, layer: [], stateDir, opsPort: 0, opsHost: '127.0.0.1', logLevel: 'silent', translate: {}, ...more };
    },
    async stopHub() {
      const h = hub;
      hub = undefined;
      await h?.stop();
    },
    async restartHub() {
      hub = await startHubEmulator(hubOptions);
      registry = trustHubCa(Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
      return hub;
    },
    async stop() {
      await hub?.stop();
      await kube.stop();
      if (ownDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return site;
}

/** The hub of {@link openDeviceCluster} and its cluster. */
export interface DeviceCluster {
  hub: HubEmulator;
  cluster: TestCluster;
  /** Deletes the namespace, stops the emulators. */
  close(): Promise<void>;
}

/** The hub with the edge device `deviceId` seeded, and a cluster with a fresh namespace ({@link openCluster}). */
export async function openDeviceCluster(prefix: string, hubOptions: { serviceHost: string; deviceId: string }, clusterOptions: KubeEmulatorOptions): Promise<DeviceCluster> {
  const [hub, cluster] = await Promise.all([startHubEmulator({ serviceHost: hubOptions.serviceHost, seedEdgeDevice: hubOptions.deviceId }), openCluster(prefix, clusterOptions)]);
  return {
    hub,
    cluster,
    async close() {
      await cluster.close();
      await hub.stop();
    },
  };
}
