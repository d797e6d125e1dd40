/**
 * Child process of bench/kube-emulator.ts: starts the Kubernetes API emulator of a source
 * tree (this repository, or another checkout given as the first argument, to compare
 * two versions in one run), prints its URL as one JSON line and stops when stdin closes.
 * Answers `cpu` lines on stdin with its CPU time. With `--floor` it starts instead a minimal HTTP server that parses each JSON body and
 * answers it with a fixed Deployment-sized JSON object: what the bench's client and the
 * machine allow at best (the floor the emulator's numbers compare with).
 *
 *   node --import tsx bench/kube-emulator-server.ts [<repository root> | --floor]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

interface Emulator {
  url: string;
  stop(): Promise<void>;
}

/** A server that does nothing but read, parse and answer (keep-alive, like the emulator). */
async function startFloor(): Promise<Emulator> {
  const answer = JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'default', padding: 'x'.repeat(2500) },
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (chunks.length > 0) JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) });
      res.end(answer);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/** The emulator of the source tree at `root`. */
async function startEmulator(root: string): Promise<Emulator> {
  const { startKubeEmulator } = (await import(pathToFileURL(join(root, 'sandbox/kube/index.ts')).href)) as {
    startKubeEmulator(options: { tls: boolean; timeFactor?: number }): Promise<Emulator>;
  };
  // KUBE_EMULATOR_TIME_FACTOR: the emulator's timeFactor (bench/kube-emulator.ts's rollout line uses 0.01, like bench/bridge.ts).
  return startKubeEmulator({ tls: false, timeFactor: Number(process.env.KUBE_EMULATOR_TIME_FACTOR) || undefined });
}

const emulator = process.argv[2] === '--floor' ? await startFloor() : await startEmulator(resolve(process.argv[2] ?? join(import.meta.dirname, '..')));
process.stdout.write(`${JSON.stringify({ url: emulator.url, pid: process.pid })}\n`);
// Each line `cpu` on stdin is answered with this process's CPU time so far (user + system, µs).
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  for (const line of chunk.split('\n')) {
    if (line.trim() !== 'cpu') continue;
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpu: user + system })}\n`);
  }
});
process.stdin.on('end', () => {
  void emulator.stop().then(() => process.exit(0));
});
