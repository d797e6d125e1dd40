/**
 * Child process of bench/kube-emulator.ts: starts the Kubernetes API emulator of a source
 * tree (this repository, or another checkout given as the first argument, to compare
 * two versions in one run), prints its URL as one JSON line and stops when stdin closes.
 *
 *   node --import tsx bench/kube-emulator-server.ts [<repository root>]
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

interface Emulator {
  url: string;
  stop(): Promise<void>;
}

const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
const { startKubeEmulator } = (await import(pathToFileURL(join(root, 'sandbox/kube/index.ts')).href)) as {
  startKubeEmulator(options: { tls: boolean }): Promise<Emulator>;
};
const emulator = await startKubeEmulator({ tls: false });
process.stdout.write(`${JSON.stringify({ url: emulator.url, pid: process.pid })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void emulator.stop().then(() => process.exit(0));
});
