/**
 * translator/kube's requests, watches and typed calls against the Kubernetes API emulator over
 * HTTPS (its kubeconfig carries the CA), configured by KubeConfigLoader as `run` does; failures
 * are read by reconcile's error normaliser as client-node's were. Connection reuse over HTTP and
 * HTTPS, counted by a TCP proxy in front of the emulator.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { ApiException, CoreV1Api, KubeConfigLoader, PatchStrategy, RegistryObjectApi, Watch, closeConnections, kubeJson } from '../../../translator/kube/index.js';
import { KubeApiError, KubeConnectionError, toKubeError } from '../../../translator/reconcile/index.js';
import { waitFor } from '../../support/wait.js';

let emulator: KubeEmulator;
let kc: KubeConfigLoader;
const namespace = 'kube-client';

beforeAll(async () => {
  emulator = await startKubeEmulator({});
  kc = new KubeConfigLoader();
  kc.loadFromString(emulator.kubeconfig);
  await new CoreV1Api(kc).createNamespace({ body: { metadata: { name: namespace } } });
}, 30_000);

afterAll(async () => {
  await emulator?.stop();
});

const labels = { 'app.kubernetes.io/managed-by': 'iotedge-k8s' };

it('applies, lists by label and deletes objects of the kind registry over HTTPS', async () => {
  expect(kc.getCurrentCluster()?.server).toMatch(/^https:/);
  const objects = RegistryObjectApi.forConfig(kc);
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1', namespace, labels }, stringData: { a: '1' } };
  const applied = await objects.patch(secret, undefined, undefined, 'test', true, PatchStrategy.ServerSideApply);
  expect((applied.metadata as { resourceVersion?: string }).resourceVersion).toBeTruthy();
  const listed = await objects.list('v1', 'Secret', namespace, undefined, undefined, undefined, undefined, 'app.kubernetes.io/managed-by=iotedge-k8s');
  expect(listed.items.map((s) => s.metadata?.name)).toEqual(['s1']);
  expect((await new CoreV1Api(kc).readNamespacedSecret({ name: 's1', namespace })).data).toEqual({ a: Buffer.from('1').toString('base64') });
  await objects.delete(secret);
  expect((await objects.list('v1', 'Secret', namespace)).items).toEqual([]);
  expect(() => objects.list('v1', 'ConfigMap', namespace)).toThrow(/not a kind of the kind registry/);
});

it('an answer outside 2xx is an ApiException the error normaliser reads (status, reason, message)', async () => {
  const failure = await new CoreV1Api(kc).readNamespacedSecret({ name: 'missing', namespace }).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(ApiException);
  expect((failure as ApiException).code).toBe(404);
  // The body (which for a Secret may echo values) is kept apart from the message.
  expect((failure as ApiException).message).toBe(`the Kubernetes API answered GET /api/v1/namespaces/${namespace}/secrets/missing with HTTP 404`);
  expect(JSON.parse((failure as ApiException).body)).toMatchObject({ kind: 'Status', code: 404 });
  const typed = toKubeError(failure, 'read Secret/missing');
  expect(typed).toBeInstanceOf(KubeApiError);
  expect(typed).toMatchObject({ status: 404, reason: 'NotFound' });
});

it('a server that does not answer is a connection failure', async () => {
  const gone = new KubeConfigLoader();
  gone.loadFromString(emulator.kubeconfig.replace(/server: https:\/\/[^\s]+/, 'server: https://127.0.0.1:1'));
  const failure = await kubeJson(gone, { method: 'GET', path: '/api/v1/namespaces' }).catch((e: unknown) => e);
  expect(toKubeError(failure, 'list Namespace')).toBeInstanceOf(KubeConnectionError);
});

it('watches: resolves once the server answered, delivers events, ends with AbortError when aborted and with null when the server ends it', async () => {
  const events: string[] = [];
  let ended: unknown = 'running';
  const path = `/api/v1/namespaces/${namespace}/secrets`;
  const controller = await new Watch(kc).watch(path, {}, (type, object: { metadata?: { name?: string } }) => events.push(`${type} ${object.metadata?.name}`), (e) => (ended = e));
  await kubeJson(kc, { method: 'POST', path, body: { metadata: { name: 'watched' } } });
  await waitFor('the ADDED event', async () => (events.includes('ADDED watched') ? true : undefined), 5000);
  expect(ended).toBe('running');
  controller.abort();
  expect(ended).toMatchObject({ name: 'AbortError' });

  let endedByServer: unknown = 'running';
  await new Watch(kc).watch(path, { timeoutSeconds: 1 }, () => undefined, (e) => (endedByServer = e));
  await waitFor('the server ends the watch', async () => (endedByServer !== 'running' ? true : undefined), 5000);
  expect(endedByServer).toBeNull();

  let refused: unknown;
  await new Watch(kc).watch('/api/v1/namespaces/x/nosuchkind', {}, () => undefined, (e) => (refused = e));
  expect(refused).toMatchObject({ statusCode: 404 });
});

/**
 * A TCP proxy in front of the emulator that counts the connections the client opens and can
 * close them as a server closing idle connections would: with a FIN (`endAll`), or with a reset
 * when the next request arrives on a connection open now (`resetOnReuse`: the race of a server
 * closing an idle connection just as the client reuses it), or on a new connection's first bytes
 * (`resetNextNew`).
 */
interface CountingProxy {
  url: string;
  /** Connections accepted so far. */
  opened: number;
  /** Connections open now. */
  readonly open: Set<Socket>;
  /** Connections reset by resetOnReuse / resetNextNew. */
  resets: number;
  endAll(): number;
  resetOnReuse(): void;
  resetNextNew(): void;
  stop(): Promise<void>;
}

async function countingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const open = new Set<Socket>();
  let doomed = new Set<Socket>();
  let resetNew = false;
  const server: Server = createServer((client) => {
    proxy.opened++;
    open.add(client);
    const resetFirst = resetNew;
    resetNew = false;
    const server = connect(Number(upstream.port), upstream.hostname);
    let first = true;
    client.on('data', (chunk: Buffer) => {
      if ((first && resetFirst) || doomed.has(client)) {
        doomed.delete(client);
        proxy.resets++;
        client.resetAndDestroy();
        server.destroy();
        return;
      }
      first = false;
      server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('end', () => server.end());
    server.on('end', () => client.end());
    client.on('close', () => {
      open.delete(client);
      server.destroy();
    });
    server.on('close', () => client.destroy());
    client.on('error', () => undefined);
    server.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const proxy: CountingProxy = {
    url: `${upstream.protocol}//127.0.0.1:${port}`,
    opened: 0,
    open,
    resets: 0,
    endAll: () => {
      for (const socket of open) socket.end();
      return open.size;
    },
    resetOnReuse: () => (doomed = new Set(open)),
    resetNextNew: () => (resetNew = true),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return proxy;
}

describe.each([
  ['HTTP', false],
  ['HTTPS', true],
])('connection reuse over %s', (_name, tls) => {
  let cluster: KubeEmulator;
  let proxy: CountingProxy;
  let client: KubeConfigLoader;
  const list = (config: KubeConfigLoader = client) => kubeJson<{ items: unknown[] }>(config, { method: 'GET', path: `/api/v1/namespaces/${namespace}/secrets` });

  beforeAll(async () => {
    if (tls) cluster = emulator;
    else {
      cluster = await startKubeEmulator({ tls: false });
      await new CoreV1Api(kubeconfigOf(cluster.kubeconfig)).createNamespace({ body: { metadata: { name: namespace } } });
    }
  }, 30_000);

  afterAll(async () => {
    if (!tls) await cluster?.stop();
  });

  beforeEach(async () => {
    proxy = await countingProxy(cluster.url);
    // A new configuration each time: a new cluster entry, so a new pool.
    client = kubeconfigOf(cluster.kubeconfig.replace(cluster.url, proxy.url));
  });

  afterEach(async () => {
    closeConnections(client);
    await proxy.stop();
  });

  it('20 requests one after the other use one connection', async () => {
    expect(client.getCurrentCluster()?.server).toMatch(tls ? /^https:/ : /^http:/);
    for (let i = 0; i < 20; i++) await list();
    expect(proxy.opened).toBe(1);
  });

  it('8 concurrent requests use at most 8 connections, and the next 8 reuse them', async () => {
    await Promise.all(Array.from({ length: 8 }, () => list()));
    const first = proxy.opened;
    expect(first).toBeGreaterThanOrEqual(1);
    expect(first).toBeLessThanOrEqual(8);
    await Promise.all(Array.from({ length: 8 }, () => list()));
    expect(proxy.opened).toBe(first);
  });

  it('after the server closed an idle connection, the next request opens a new one', async () => {
    await list();
    await list();
    expect(proxy.opened).toBe(1);
    expect(proxy.endAll()).toBe(1);
    await waitFor('the client to see the close', () => (proxy.open.size === 0 ? true : undefined), 5000);
    await expect(list()).resolves.toMatchObject({ items: expect.any(Array) });
    expect(proxy.opened).toBe(2);
  });

  it('a reused connection the server resets as the request arrives: the request is sent once more, on a new connection', async () => {
    await list();
    await list();
    proxy.resetOnReuse();
    await expect(list()).resolves.toMatchObject({ items: expect.any(Array) });
    expect(proxy.resets).toBe(1);
    expect(proxy.opened).toBe(2);
    // A write too (its body is sent again).
    await list();
    proxy.resetOnReuse();
    const name = `retried-${tls ? 'tls' : 'plain'}`;
    await kubeJson(client, { method: 'POST', path: `/api/v1/namespaces/${namespace}/secrets`, body: { metadata: { name }, stringData: { a: '1' } } });
    expect(proxy.resets).toBe(2);
    expect(proxy.opened).toBe(3);
    const secret = await kubeJson<{ data: Record<string, string> }>(client, { method: 'GET', path: `/api/v1/namespaces/${namespace}/secrets/${name}` });
    expect(secret.data).toEqual({ a: Buffer.from('1').toString('base64') });
    await kubeJson(client, { method: 'DELETE', path: `/api/v1/namespaces/${namespace}/secrets/${name}` });
  });

  it('a new connection that fails is not retried', async () => {
    proxy.resetNextNew();
    const failure = await list().catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: expect.stringMatching(/^(ECONNRESET|EPIPE)$/) });
    expect(toKubeError(failure, 'list Secret')).toBeInstanceOf(KubeConnectionError);
    expect(proxy.opened).toBe(1);
    await expect(list()).resolves.toMatchObject({ items: expect.any(Array) });
  });

  it('a watch has a connection of its own, beside the pool, and requests go on while it runs', async () => {
    const added: string[] = [];
    const controller = await new Watch(client).watch(`/api/v1/namespaces/${namespace}/secrets`, {}, (type, object: { metadata?: { name?: string } }) => {
      if (type === 'ADDED') added.push(String(object.metadata?.name));
    }, () => undefined);
    const names = Array.from({ length: 8 }, (_, i) => `watched-${tls ? 'tls' : 'plain'}-${i}`);
    await Promise.all(names.map((name) => kubeJson(client, { method: 'POST', path: `/api/v1/namespaces/${namespace}/secrets`, body: { metadata: { name } } })));
    for (let i = 0; i < 20; i++) await list();
    await waitFor('the watch to see the 8 Secrets', () => (names.every((n) => added.includes(n)) ? true : undefined), 5000);
    // The watch's connection and at most 8 of the pool (the sequential requests reused them).
    expect(proxy.opened).toBeGreaterThanOrEqual(2);
    expect(proxy.opened).toBeLessThanOrEqual(9);
    const opened = proxy.opened;
    const openBefore = proxy.open.size;
    controller.abort();
    await waitFor('the watch connection to close', () => (proxy.open.size === openBefore - 1 ? true : undefined), 5000);
    await list();
    expect(proxy.opened).toBe(opened);
    await Promise.all(names.map((name) => kubeJson(client, { method: 'DELETE', path: `/api/v1/namespaces/${namespace}/secrets/${name}` })));
  });

  it('closeConnections closes the pool (a stop); a later request opens a new one', async () => {
    await list();
    // Idle, it stays open (for IDLE_TIMEOUT_MS)...
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(proxy.open.size).toBe(1);
    closeConnections(client);
    await waitFor('the pool to close', () => (proxy.open.size === 0 ? true : undefined), 5000);
    await list();
    expect(proxy.opened).toBe(2);
  });
});

it('a configuration handed to client-node (an exec plugin) uses the pool too', async () => {
  const proxy = await countingProxy(emulator.url);
  const dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-exec-'));
  const plugin = join(dir, 'exec-plugin.cjs');
  writeFileSync(plugin, `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'sandbox' } }));\n`);
  const doc = parse(emulator.kubeconfig.replace(emulator.url, proxy.url)) as { users: { user: Record<string, unknown> }[] };
  doc.users[0]!.user = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin], interactiveMode: 'Never' } };
  const execClient = kubeconfigOf(stringify(doc));
  try {
    for (let i = 0; i < 5; i++) await kubeJson(execClient, { method: 'GET', path: '/api/v1/namespaces' });
    expect(proxy.opened).toBe(1);
  } finally {
    closeConnections(execClient);
    await proxy.stop();
  }
}, 20_000);

function kubeconfigOf(text: string): KubeConfigLoader {
  const config = new KubeConfigLoader();
  config.loadFromString(text);
  return config;
}
