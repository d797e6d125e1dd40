/**
 * Two bridges (`iotedge-k8s run --leader-elect`, two processes of the compiled CLI, each with its
 * own POD_NAME and ops port) for one device of the sandbox IoT Hub, on one sandbox cluster,
 * with client-go's default durations. Each bridge reaches the API through its own counting
 * proxy, which timestamps every request it forwards: that is how the test sees, from the
 * outside, who wrote what and when. Exactly one holds the Lease and is ready; the standby is
 * healthy, not ready, and sends no write that the API server takes; after kill -9 of the leader the standby takes
 * the Lease and applies the version pushed after the kill within 20 s; and the two never write
 * in overlapping periods.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'azure-iothub';
import { startHubEmulator, trustHubCa, type HubEmulator } from '../../../sandbox/hub/index.js';
import { startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { binPath, ensureBuilt } from '../../support/build.js';
import { requestType, startCountingProxy, type CountingProxy, type ProxiedRequest } from '../../support/counting-proxy.js';
import { deploymentManifest, dockerModule } from '../../support/manifest.js';
import { waitFor } from '../../support/wait.js';

const NAMESPACE = 'ha-device';
let dir: string;
let kube: KubeEmulator;
let hub: HubEmulator;
let registry: Registry;
let admin: KubeConfig;

interface Replica {
  name: string;
  opsUrl: string;
  proxy: CountingProxy;
  child: ChildProcess;
  log: string;
  exited?: number | string;
}
const replicas: Replica[] = [];

function manifest(marker: string) {
  return deploymentManifest({ modules: { web: dockerModule('nginx:1.27', { env: { MARKER: { value: marker } } }) } });
}

async function push(marker: string): Promise<void> {
  await registry.applyConfigurationContentOnDevice(hub.deviceId, manifest(marker));
}

async function startReplica(name: string, opsPort: number): Promise<Replica> {
  const proxy = await startCountingProxy(admin);
  const kubeconfig = join(dir, `${name}.kubeconfig`);
  writeFileSync(kubeconfig, proxy.kc.exportConfig());
  const args = [binPath, 'run', '--leader-elect', '--kubeconfig', kubeconfig, '--namespace', NAMESPACE, '--connection-string', hub.edgeAgentConnectionString, '--ca', hub.caFile!];
  args.push('--ops-host', '127.0.0.1', '--ops-port', String(opsPort), '--state-dir', join(dir, name), '--pod-security', 'baseline', '--log-level', 'info');
  const child = spawn(process.execPath, args, { env: { ...process.env, POD_NAME: name }, stdio: ['ignore', 'pipe', 'pipe'] });
  const replica: Replica = { name, opsUrl: `http://127.0.0.1:${opsPort}`, proxy, child, log: '' };
  child.stdout!.on('data', (d) => (replica.log += d));
  child.stderr!.on('data', (d) => (replica.log += d));
  child.on('exit', (code, signal) => (replica.exited = code ?? signal ?? 'exited'));
  replicas.push(replica);
  return replica;
}

async function lease() {
  return admin.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'iotedge-k8s', namespace: NAMESPACE });
}

/** The MARKER of the web module's Deployment, once it exists. */
async function appliedMarker(): Promise<string | undefined> {
  const list = await admin.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: NAMESPACE });
  const env = list.items.flatMap((d) => d.spec?.template.spec?.containers.flatMap((c) => c.env ?? []) ?? []);
  return env.find((e) => e.name === 'MARKER')?.value;
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url);
  return { status: r.status, body: await r.text() };
}

const isLeaseWrite = (q: ProxiedRequest) => q.url.includes('/apis/coordination.k8s.io/v1/namespaces/') && q.url.includes('/leases');
/**
 * Two candidates that start together may both find no Lease and both try to create it, as
 * client-go's elector does; the API server takes one create and answers the other 409. That
 * refused create is the only write a standby may ever send, and it changes nothing.
 */
const isLostCreateRace = (q: ProxiedRequest) => isLeaseWrite(q) && q.method === 'POST' && q.status === 409;
/** The writes a bridge sent, but for a refused Lease create. */
const writes = (r: Replica): ProxiedRequest[] => r.proxy.requests.filter((q) => requestType(q) === 'write' && !isLostCreateRace(q));

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-ha-'));
  kube = await startKubeEmulator({ tls: false, stateDir: join(dir, 'kube'), modules: false, timeFactor: 0.01 });
  hub = await startHubEmulator({ stateDir: join(dir, 'hub'), serviceHost: '127.0.0.63' });
  registry = trustHubCa(Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  admin = new KubeConfig();
  admin.loadFromString(kube.kubeconfig);
}, 120_000);

afterAll(async () => {
  for (const r of replicas) {
    if (r.exited === undefined) {
      const exited = new Promise((resolve) => r.child.once('exit', resolve));
      r.child.kill('SIGTERM');
      const timer = setTimeout(() => {
        process.stdout.write(`leader-elect: ${r.name} did not exit within 10 s of SIGTERM\n${r.log.slice(-2000)}\n`);
        r.child.kill('SIGKILL');
      }, 10_000);
      await exited;
      clearTimeout(timer);
    }
    await r.proxy.close();
  }
  await hub?.stop();
  await kube?.stop();
}, 60_000);

it('two bridges: one leads, the standby never writes, and takes over within 20 s of kill -9 with no overlapping writes', async () => {
  // The install manifests create the namespace the bridges run in (and keep their Lease in).
  await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
  await push('v1');
  const [a, b] = await Promise.all([startReplica('bridge-a', 19_611), startReplica('bridge-b', 19_612)]);
  const context = () => replicas.map((r) => `--- ${r.name} (exit ${r.exited}):\n${r.log.slice(-3000)}`).join('\n');
  /** waitFor, naming what the bridges logged when it times out. */
  const until = <T>(what: string, check: () => Promise<T | undefined>, ms: number) => waitFor(what, check, ms).catch((e: Error) => Promise.reject(new Error(`${e.message}\n${context()}`)));

  // Exactly one holds the Lease, and it applies v1.
  const holder = await until('a holder of the Lease', async () => (await lease()).spec?.holderIdentity || undefined, 30_000);
  const leader = holder === 'bridge-a' ? a : b;
  const standby = leader === a ? b : a;
  expect([a.name, b.name]).toContain(holder);
  await until('v1 applied', async () => ((await appliedMarker()) === 'v1' ? true : undefined), 30_000);
  await until('the leader ready', async () => ((await get(`${leader.opsUrl}/readyz`)).status === 200 ? true : undefined), 20_000);

  // The standby is healthy, not ready, says who leads, and has written nothing (at most a Lease create that lost the race at start).
  await new Promise((r) => setTimeout(r, 5_000));
  expect(await get(`${standby.opsUrl}/healthz`)).toEqual({ status: 200, body: 'ok\n' });
  expect(await get(`${standby.opsUrl}/readyz`)).toEqual({ status: 503, body: `not ready: standby: ${leader.name} holds the Lease\n` });
  const standbyMetrics = (await get(`${standby.opsUrl}/metrics`)).body;
  expect(standbyMetrics).toContain(`iotedge_k8s_leader{identity="${standby.name}"} 0`);
  expect(standbyMetrics).toContain(`iotedge_k8s_lease_holder_info{holder="${leader.name}"} 1`);
  expect(standbyMetrics).not.toMatch(/^iotedge_k8s_api_writes_total\{/m);
  const leaderMetrics = (await get(`${leader.opsUrl}/metrics`)).body;
  expect(leaderMetrics).toContain(`iotedge_k8s_leader{identity="${leader.name}"} 1`);
  expect(leaderMetrics).toContain(`iotedge_k8s_lease_holder_info{holder="${leader.name}"} 1`);
  expect(writes(standby)).toEqual([]);
  // Whatever the standby sent was answered (nothing is in flight that could still land).
  expect(standby.proxy.requests.filter((q) => requestType(q) === 'write').every((q) => q.status === 409)).toBe(true);
  // The leader renewed the Lease at least twice meanwhile (every 2 s).
  expect(writes(leader).filter(isLeaseWrite).length).toBeGreaterThanOrEqual(3);
  expect(standby.exited).toBeUndefined();

  // kill -9 the leader, then push the next version: the standby applies it within 20 s.
  const killedAt = Date.now();
  leader.child.kill('SIGKILL');
  await push('v2');
  await until(`v2 applied by ${standby.name}`, async () => ((await appliedMarker()) === 'v2' ? true : undefined), 25_000);
  const appliedAfterMs = Date.now() - killedAt;
  process.stdout.write(`leader-elect: v2 applied ${appliedAfterMs} ms after kill -9 of ${leader.name}\n`);
  expect(appliedAfterMs).toBeLessThan(20_000);
  const taken = await lease();
  expect(taken.spec?.holderIdentity).toBe(standby.name);
  expect(taken.spec?.leaseTransitions).toBe(1);
  await until('the new leader ready', async () => ((await get(`${standby.opsUrl}/readyz`)).status === 200 ? true : undefined), 10_000);

  // Never both: the new leader's first write is its Lease takeover, after the old leader's last write.
  const oldLast = Math.max(...writes(leader).map((q) => q.at));
  const newWrites = writes(standby);
  expect(newWrites.length).toBeGreaterThan(1);
  expect(isLeaseWrite(newWrites[0]!)).toBe(true);
  expect(newWrites[0]!.at).toBeGreaterThan(killedAt);
  expect(oldLast).toBeLessThanOrEqual(killedAt);
  // The takeover waited out the lease duration (15 s) from the old leader's last renewal, as the standby saw it.
  const lastRenewal = Math.max(...writes(leader).filter(isLeaseWrite).map((q) => q.at));
  expect(newWrites[0]!.at - lastRenewal).toBeGreaterThanOrEqual(15_000);
}, 180_000);
