/** A cluster for tests written against the Kubernetes API: a real one when KUBECONFIG is set, else the emulator. */
import * as k8s from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator, type KubeEmulatorOptions } from '../../sandbox/kube/index.js';

export interface TestCluster {
  kc: k8s.KubeConfig;
  /** A fresh namespace, deleted by close(). */
  namespace: string;
  /** True when running against the emulator. */
  emulated: boolean;
  emulator?: KubeEmulator;
  close(): Promise<void>;
}

/** Opens the cluster (the emulator started with `emulatorOptions` when KUBECONFIG is unset) and creates a fresh namespace. */
export async function openCluster(prefix: string, emulatorOptions: KubeEmulatorOptions): Promise<TestCluster> {
  const kc = new k8s.KubeConfig();
  let emulator: KubeEmulator | undefined;
  if (process.env.KUBECONFIG) kc.loadFromDefault();
  else {
    emulator = await startKubeEmulator(emulatorOptions);
    kc.loadFromString(emulator.kubeconfig);
  }
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  return {
    kc,
    namespace,
    emulated: emulator !== undefined,
    emulator,
    async close() {
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
      await emulator?.stop();
    },
  };
}
