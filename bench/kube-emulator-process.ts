/**
 * The Kubernetes API emulator in a child process (bench/kube-emulator-server.ts), so that a bench's
 * own clients, proxy and IoT Hub emulator never share its event loop, as a real API server runs in
 * a process of its own.
 */
import { join } from 'node:path';
import type { ImageBehaviour } from '../sandbox/kube/index.js';
import { spawnEmulatorChild } from './emulator-child.js';

/** A running emulator process. */
export interface KubeEmulatorProcess {
  label: string;
  url: string;
  /** Kubeconfig YAML pointing at it (undefined for the floor server). */
  kubeconfig?: string;
  /** CPU time (user + system) the process has used so far, in µs. */
  cpu(): Promise<number>;
  /** Sets what `image` does in the emulator's image catalog. */
  setImage(image: string, behaviour: ImageBehaviour): Promise<void>;
  stop(): Promise<void>;
}

export interface KubeEmulatorProcessOptions {
  /** Another checkout's root (its emulator), or `--floor` for the minimal server. @default this tree */
  root?: string;
  /** Serve HTTPS. @default false */
  tls?: boolean;
  /** Multiplies the simulated durations. @default 1 */
  timeFactor?: number;
}

/** Starts the emulator process and resolves once it serves requests. */
export async function spawnKubeEmulator(label: string, options: KubeEmulatorProcessOptions = {}): Promise<KubeEmulatorProcess> {
  const script = join(import.meta.dirname, 'kube-emulator-server.ts');
  const args = [...(options.root ? [options.root] : []), ...(options.tls ? ['--tls'] : []), ...(options.timeFactor !== undefined ? ['--time-factor', String(options.timeFactor)] : [])];
  // The child's first line has its URL, then one answer per question, in order.
  // e.g. KUBE_EMULATOR_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the emulator process.
  const child = await spawnEmulatorChild<{ url?: string; kubeconfig?: string; cpu?: number; ok?: boolean; error?: string }>(`emulator ${label}`, script, args, 'KUBE_EMULATOR_NODE_ARGS');
  return {
    label,
    url: child.first.url!,
    kubeconfig: child.first.kubeconfig,
    cpu: async () => (await child.ask('cpu')).cpu!,
    setImage: async (image, behaviour) => void (await child.ask(`image ${JSON.stringify({ image, behaviour })}`)),
    stop: () => child.stop(),
  };
}
