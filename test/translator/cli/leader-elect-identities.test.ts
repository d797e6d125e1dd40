/**
 * `run --leader-elect` in device-credential mode: the device CA Secret is read and written only
 * by the leader, through the write fence. Two bridges in this process (each with its own
 * POD_NAME, ops port and counting proxy in front of the sandbox cluster, so the test sees from
 * the outside who sent what): the leader creates the CA Secret; the standby sends no request
 * about it at all (neither the read it used to make at start nor a write) and no write but a
 * Lease create that lost the start-up race; once the leader steps down, the new leader reads
 * the CA the first one made and keeps it (no write).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'azure-iothub';
import { startHubEmulator, trustHubCa, type HubEmulator } from '../../../sandbox/hub/index.js';
import { startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { DEVICE_CA_SECRET } from '../../../translator/identities/index.js';
import { startRun, type RunningBridge } from '../../../translator/cli/index.js';
import { requestType, startCountingProxy, type CountingProxy, type ProxiedRequest } from '../../support/counting-proxy.js';
import { deploymentManifest, dockerModule } from '../../support/manifest.js';
import { waitFor } from '../../support/wait.js';

const NAMESPACE = 'ha-identities';
const io = { stdout: () => undefined, stderr: () => undefined };
let dir: string;
let kube: KubeEmulator;
let hub: HubEmulator;
let admin: KubeConfig;
const proxies: CountingProxy[] = [];
const bridges: RunningBridge[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-ha-ids-'));
  kube = await startKubeEmulator({ tls: false, stateDir: join(dir, 'kube'), modules: false, timeFactor: 0.01 });
  hub = await startHubEmulator({ stateDir: join(dir, 'hub'), serviceHost: '127.0.0.68' });
  admin = new KubeConfig();
  admin.loadFromString(kube.kubeconfig);
}, 60_000);

afterAll(async () => {
  for (const b of bridges) await b.stop();
  for (const p of proxies) await p.close();
  await hub?.stop();
  await kube?.stop();
  delete process.env.POD_NAME;
}, 60_000);

/** A bridge of this process named `name`, reaching the cluster through its own counting proxy. */
async function startBridge(name: string): Promise<{ bridge: RunningBridge; proxy: CountingProxy }> {
  const proxy = await startCountingProxy(admin);
  proxies.push(proxy);
  const kubeconfig = join(dir, `${name}.kubeconfig`);
  writeFileSync(kubeconfig, proxy.kc.exportConfig());
  // The holder identity is read from POD_NAME when the election is set up, before startRun returns.
  process.env.POD_NAME = name;
  const bridge = await startRun(
    { kubeconfig, namespace: NAMESPACE, deviceConnectionString: hub.deviceConnectionString, ca: hub.caFile, leaderElect: true, layer: [], stateDir: join(dir, name), opsPort: 0, opsHost: '127.0.0.1', logLevel: 'silent', translate: {} },
    io,
  );
  bridges.push(bridge);
  return { bridge, proxy };
}

const aboutCa = (q: ProxiedRequest) => q.url.includes(`/secrets/${DEVICE_CA_SECRET}`) || (requestType(q) === 'write' && q.url.endsWith('/secrets'));
const lostLeaseCreate = (q: ProxiedRequest) => q.url.includes('/leases') && q.method === 'POST' && q.status === 409;

async function caPem(): Promise<string | undefined> {
  const secret = await admin.makeApiClient(CoreV1Api).readNamespacedSecret({ name: DEVICE_CA_SECRET, namespace: NAMESPACE });
  return secret.data?.['ca.pem'];
}

it('only the leader reads and creates the device CA Secret; the standby sends nothing about it; a new leader keeps it', async () => {
  await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
  const registry = trustHubCa(Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  await registry.applyConfigurationContentOnDevice(hub.deviceId, deploymentManifest({ modules: { web: dockerModule('nginx:1.27') } }));

  const a = await startBridge('bridge-a');
  await a.bridge.leading;
  const first = await waitFor('the device CA Secret, created by the leader', caPem, 30_000);
  expect(a.proxy.requests.some((q) => aboutCa(q) && requestType(q) === 'write')).toBe(true);

  const b = await startBridge('bridge-b');
  await new Promise((r) => setTimeout(r, 4_000));
  const holder = (await admin.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'iotedge-k8s', namespace: NAMESPACE })).spec?.holderIdentity;
  expect(holder).toBe('bridge-a');
  expect(b.proxy.requests.filter(aboutCa)).toEqual([]);
  expect(b.proxy.requests.filter((q) => requestType(q) === 'write' && !lostLeaseCreate(q))).toEqual([]);

  // The leader steps down (releasing the Lease): the standby leads, reads the CA the first made, and keeps it.
  await a.bridge.stop();
  bridges.splice(bridges.indexOf(a.bridge), 1);
  await b.bridge.leading;
  await waitFor('the new leader reading the CA Secret', () => (b.proxy.requests.some((q) => aboutCa(q) && q.method === 'GET' && q.status === 200) ? true : undefined), 30_000);
  await new Promise((r) => setTimeout(r, 1_000));
  expect(b.proxy.requests.filter((q) => aboutCa(q) && requestType(q) === 'write')).toEqual([]);
  expect(await caPem()).toBe(first);
}, 120_000);
