/**
 * Child process of the benches (bench/kube-emulator-process.ts starts it): runs the Kubernetes API
 * emulator of a source tree (this repository, or another checkout given as the first argument, to
 * compare two versions in one run), prints `{url, pid, kubeconfig}` as one JSON line and stops when
 * stdin closes. Each line on stdin is a question answered with one JSON line, in order:
 * - `cpu`: this process's CPU time so far, `{cpu}` (user + system, µs);
 * - `image <JSON {image, behaviour}>`: sets what an image does in the emulator's catalog, `{ok}`.
 * `--tls` serves HTTPS, `--time-factor F` scales the simulated durations (default 1).
 * With `--floor` it starts instead a minimal HTTP server that parses each JSON body and answers it
 * with a fixed Deployment-sized JSON object: what the bench's client and the machine allow at best
 * (the floor the emulator's numbers compare with).
 *
 *   node --import tsx bench/kube-emulator-server.ts [<repository root> | --floor] [--tls] [--time-factor F]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serveQuestions } from './emulator-child.js';

interface Emulator {
  url: string;
  kubeconfig?: string;
  catalog?: { set(image: string, behaviour: unknown): void };
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
async function startEmulator(root: string, options: { tls: boolean; timeFactor: number }): Promise<Emulator> {
  const { startKubeEmulator } = (await import(pathToFileURL(join(root, 'sandbox/kube/index.ts')).href)) as {
    startKubeEmulator(options: { tls: boolean; timeFactor: number }): Promise<Emulator>;
  };
  return startKubeEmulator(options);
}

let root: string | undefined;
let floor = false;
let tls = false;
let timeFactor = 1;
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i]!;
  if (arg === '--floor') floor = true;
  else if (arg === '--tls') tls = true;
  else if (arg === '--time-factor') timeFactor = Number(process.argv[++i]);
  else root = arg;
}
const emulator = floor ? await startFloor() : await startEmulator(resolve(root ?? join(import.meta.dirname, '..')), { tls, timeFactor });
process.stdout.write(`${JSON.stringify({ url: emulator.url, pid: process.pid, kubeconfig: emulator.kubeconfig })}\n`);

function answer(line: string): unknown {
  if (line === 'cpu') {
    const { user, system } = process.cpuUsage();
    return { cpu: user + system };
  }
  if (line.startsWith('image ')) {
    const { image, behaviour } = JSON.parse(line.slice('image '.length)) as { image: string; behaviour: unknown };
    if (!emulator.catalog) return { error: 'no image catalog (the floor server)' };
    emulator.catalog.set(image, behaviour);
    return { ok: true };
  }
  return { error: `unknown question: ${line}` };
}

serveQuestions(answer, () => emulator.stop());
