/**
 * The Kubernetes API emulator in a child process (bench/kube-emulator-server.ts), so that a bench's
 * own clients, proxy and IoT Hub emulator never share its event loop, as a real API server runs in
 * a process of its own.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ImageBehaviour } from '../sandbox/kube/index.js';

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
  // e.g. KUBE_EMULATOR_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the emulator process.
  const nodeArgs = (process.env.KUBE_EMULATOR_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const args = [...(options.root ? [options.root] : []), ...(options.tls ? ['--tls'] : []), ...(options.timeFactor !== undefined ? ['--time-factor', String(options.timeFactor)] : [])];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The child's stdout: one JSON line with its URL, then one answer per question, in order.
  type Line = { url?: string; kubeconfig?: string; cpu?: number; ok?: boolean; error?: string };
  const waiting: Array<(line: Line) => void> = [];
  let text = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    text += chunk;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n')) {
      const line = JSON.parse(text.slice(0, newline)) as Line;
      text = text.slice(newline + 1);
      waiting.shift()?.(line);
    }
  });
  const next = () => new Promise<Line>((resolve) => waiting.push(resolve));
  const ask = async (question: string): Promise<Line> => {
    const answer = next();
    child.stdin.write(`${question}\n`);
    const line = await answer;
    if (line.error) throw new Error(`emulator ${label}: ${line.error}`);
    return line;
  };
  const first = await Promise.race([
    next(),
    exited.then(() => {
      throw new Error(`emulator ${label} exited before serving`);
    }),
  ]);
  return {
    label,
    url: first.url!,
    kubeconfig: first.kubeconfig,
    cpu: async () => (await ask('cpu')).cpu!,
    setImage: async (image, behaviour) => void (await ask(`image ${JSON.stringify({ image, behaviour })}`)),
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}
