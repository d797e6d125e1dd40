/**
 * Benchmark of the Kubernetes API emulator over real HTTP (keep-alive agent):
 * requests/s for get, list and server-side apply (sequential and concurrent),
 * events/s delivered across 50 concurrent watches, and heap/RSS with 10,000
 * objects. Prints the median of several rounds.
 *
 *   npx tsx bench/kube-emulator.ts [--rounds 5] [--deployments-only]
 */
import { Agent, request } from 'node:http';
import { startKubeEmulator, type KubeEmulator } from '../sandbox/kube/index.js';

const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 5;
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function call(base: string, method: string, path: string, body?: string, contentType = 'application/json'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, agent, headers: body ? { 'Content-Type': contentType } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function throughput(count: number, concurrency: number, op: (i: number) => Promise<number>): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const status = await op(next++);
        if (status >= 300) throw new Error(`unexpected status ${status}`);
      }
    }),
  );
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function measure(label: string, count: number, op: (i: number) => Promise<number>): Promise<void> {
  for (const concurrency of [1, 16]) {
    const rounds: number[] = [];
    for (let r = 0; r < ROUNDS; r++) rounds.push(await throughput(count, concurrency, op));
    console.log(`${label.padEnd(28)} concurrency ${String(concurrency).padStart(2)}: ${median(rounds).toFixed(0).padStart(6)} req/s (median of ${ROUNDS})`);
  }
}

async function watchThroughput(emulator: KubeEmulator, watchers: number, changes: number): Promise<number> {
  const base = emulator.url;
  await call(base, 'POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'watched' } }));
  let received = 0;
  const expected = watchers * changes;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const streams = await Promise.all(
    Array.from(
      { length: watchers },
      () =>
        new Promise<() => void>((resolve, reject) => {
          const req = request(`${base}/api/v1/namespaces/watched/configmaps?watch=1&resourceVersion=0`, { agent: false }, (res) => {
            let buffered = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              buffered += chunk;
              let newline = buffered.indexOf('\n');
              while (newline >= 0) {
                buffered = buffered.slice(newline + 1);
                if (++received === expected) done();
                newline = buffered.indexOf('\n');
              }
            });
            resolve(() => req.destroy());
          });
          req.on('error', (error) => (received >= expected ? undefined : reject(error)));
          req.end();
        }),
    ),
  );
  const start = process.hrtime.bigint();
  await throughput(changes, 8, (i) => call(base, 'POST', '/api/v1/namespaces/watched/configmaps', JSON.stringify({ metadata: { name: `w-${i}` } })));
  await finished;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  for (const close of streams) close();
  await call(base, 'DELETE', '/api/v1/namespaces/watched');
  return expected / seconds;
}

/** Heap and RSS growth of a fresh emulator holding 10,000 more objects. */
async function measureMemory(): Promise<void> {
  const emulator = await startKubeEmulator({ tls: false });
  const base = emulator.url;
  try {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage();
    await throughput(10_000, 16, (i) =>
      call(base, 'POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: `mem-${i}`, labels: { app: 'mem' } }, data: { key: `value-${i}` } })),
    );
    gc?.();
    const after = process.memoryUsage();
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    console.log(
      `10,000 ConfigMaps (fresh emulator): heap ${mb(after.heapUsed)} (+${mb(after.heapUsed - before.heapUsed)}), RSS ${mb(after.rss)} (+${mb(after.rss - before.rss)})${gc ? '' : ' (run with --expose-gc for exact numbers)'}`,
    );
    const listStart = process.hrtime.bigint();
    await call(base, 'GET', '/api/v1/namespaces/default/configmaps?labelSelector=app%3Dmem');
    console.log(`list of 10,000 ConfigMaps: ${(Number(process.hrtime.bigint() - listStart) / 1e6).toFixed(0)} ms`);
  } finally {
    await emulator.stop();
  }
}

/**
 * Server-side applies of 20 Deployments: each change edits the pod template (a new
 * ReplicaSet and pods every time, so the controllers run alongside), then no-op applies
 * of the same content.
 */
async function deploymentApplies(base: string): Promise<void> {
  const names = 20;
  const last = new Array<number>(names).fill(0);
  const body = (i: number, v: number) =>
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `d-${i}`, labels: { app: `d-${i}` } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: `d-${i}` } },
        template: { metadata: { labels: { app: `d-${i}` } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36', env: [{ name: 'V', value: String(v) }] }] } },
      },
    });
  const apply = (i: number, v: number) => call(base, 'PATCH', `/apis/apps/v1/namespaces/default/deployments/d-${i}?fieldManager=bench`, body(i, v), 'application/apply-patch+yaml');
  for (let i = 0; i < names; i++) await apply(i, 0);
  let version = 0;
  await measure('apply Deployment (template)', 500, (i) => {
    const n = i % names;
    last[n] = ++version;
    return apply(n, last[n]!);
  });
  await measure('apply Deployment (no-op)', 2000, (i) => apply(i % names, last[i % names]!));
}

async function main(): Promise<void> {
  if (process.argv.includes('--deployments-only')) {
    const emulator = await startKubeEmulator({ tls: false });
    try {
      await deploymentApplies(emulator.url);
    } finally {
      agent.destroy();
      await emulator.stop();
    }
    return;
  }
  await measureMemory();
  const emulator = await startKubeEmulator({ tls: false });
  try {
    await run(emulator);
  } finally {
    agent.destroy();
    await emulator.stop();
  }
}

async function run(emulator: KubeEmulator): Promise<void> {
  const base = emulator.url;
  console.log(`kube emulator at ${base}, node ${process.version}`);
  for (let i = 0; i < 100; i++) {
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, labels: { bench: 'yes', i: String(i % 10) } }, data: { v: '0' } });
    await call(base, 'PATCH', `/api/v1/namespaces/default/configmaps/cm-${i}?fieldManager=bench`, body, 'application/apply-patch+yaml');
  }
  await measure('get configmap', 2000, (i) => call(base, 'GET', `/api/v1/namespaces/default/configmaps/cm-${i % 100}`));
  await measure('list 10 of 100 (selector)', 1000, () => call(base, 'GET', '/api/v1/namespaces/default/configmaps?labelSelector=i%3D3'));
  let version = 0;
  await measure('server-side apply (changes)', 1000, (i) =>
    call(
      base,
      'PATCH',
      `/api/v1/namespaces/default/configmaps/cm-${i % 100}?fieldManager=bench`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i % 100}\ndata:\n  v: "${++version}"\n`,
      'application/apply-patch+yaml',
    ),
  );
  await measure('server-side apply (no-op)', 1000, (i) =>
    call(base, 'PATCH', `/api/v1/namespaces/default/configmaps/cm-${i % 100}?fieldManager=bench2`, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-${i % 100}","labels":{"bench":"yes"}}}`, 'application/apply-patch+yaml'),
  );

  await deploymentApplies(base);

  const watchRates: number[] = [];
  for (let r = 0; r < 3; r++) watchRates.push(await watchThroughput(emulator, 50, 1000));
  console.log(`${'watch events, 50 watchers'.padEnd(28)}: ${median(watchRates).toFixed(0).padStart(8)} events/s delivered (median of 3)`);

}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
