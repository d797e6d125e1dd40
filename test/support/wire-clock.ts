/**
 * A TCP pass-through in front of a plain-HTTP server that notes when each request's first bytes
 * reach it, on a thread of its own (a worker): the arrival times stay true while the test's own
 * thread is busy, so a test can tell whether a client put its requests on the wire before or
 * after some work of its own.
 */
import { Worker } from 'node:worker_threads';

/** One request line as it arrived, with the wall clock (Date.now()) of its arrival. */
export interface Arrival {
  at: number;
  /** `PATCH /apis/apps/v1/namespaces/ns/deployments/a?fieldManager=... HTTP/1.1` */
  line: string;
}

export interface WireClock {
  /** `http://127.0.0.1:PORT`: send requests here instead of to the server. */
  url: string;
  /** The arrivals so far (asked of the worker, so it includes what reached it while this thread was busy). */
  arrivals(): Promise<Arrival[]>;
  close(): Promise<void>;
}

// CommonJS, run by the worker as a script: it forwards bytes both ways and notes request lines
// (requests on one connection follow one another, so each starts a chunk of its own).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const arrivals = [];
const server = net.createServer((client) => {
  const upstream = net.connect(workerData.port, workerData.host);
  client.on('data', (chunk) => {
    const line = chunk.toString('latin1', 0, Math.min(chunk.length, 512)).split('\\r\\n')[0];
    if (/^[A-Z]+ \\S+ HTTP\\/1\\.1$/.test(line)) arrivals.push({ at: Date.now(), line });
    upstream.write(chunk);
  });
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', () => parentPort.postMessage({ arrivals }));
`;

/** Starts a wire clock in front of `server` (a plain `http://host:port` URL). */
export async function startWireClock(server: string): Promise<WireClock> {
  const target = new URL(server);
  if (target.protocol !== 'http:') throw new Error('the wire clock reads plain HTTP only');
  const worker = new Worker(WORKER, { eval: true, workerData: { host: target.hostname, port: Number(target.port) } });
  const next = <T>(): Promise<T> =>
    new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  const { port } = await next<{ port: number }>();
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals: async () => {
      const answer = next<{ arrivals: Arrival[] }>();
      worker.postMessage('send them');
      return (await answer).arrivals;
    },
    // Its connections end with it (pooled keep-alive ones would hold a server.close() open).
    close: async () => void (await worker.terminate()),
  };
}
