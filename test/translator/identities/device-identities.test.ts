/**
 * The facade the run loop calls: device connection string in, `$edgeAgent` connection string and
 * per-pass credentials out, the device CA kept in a Secret through the Kubernetes API.
 */
import * as k8s from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';
import type { HubEmulator } from '../../../sandbox/hub/index.js';
import { DEVICE_CA_SECRET, DeviceIdentities, type CaSecretStore, type DeviceIdentitiesOptions } from '../../../translator/identities/index.js';
import type { TestCluster } from '../../support/cluster.js';
import { openDeviceCluster, type DeviceCluster } from '../../support/device-site.js';

let hub: HubEmulator;
let cluster: TestCluster;
let site: DeviceCluster;
let writes = 0;

beforeAll(async () => {
  site = await openDeviceCluster('idf', { serviceHost: '127.0.0.165', deviceId: 'edge-facade' }, { tls: false });
  ({ hub, cluster } = site);
}, 30_000);
afterAll(async () => {
  await site?.close();
});

/** A CA Secret store over the Kubernetes API, as the bridge would write it. */
function store(): CaSecretStore {
  const core = cluster.kc.makeApiClient(k8s.CoreV1Api);
  const namespace = cluster.namespace;
  return {
    read: async () => core.readNamespacedSecret({ name: DEVICE_CA_SECRET, namespace }).catch((e: { code?: number }) => (e.code === 404 ? undefined : Promise.reject(e))),
    write: async (secret) => {
      writes += 1;
      const body = secret as k8s.V1Secret;
      await core.replaceNamespacedSecret({ name: DEVICE_CA_SECRET, namespace, body }).catch((e: { code?: number }) => (e.code === 404 ? core.createNamespacedSecret({ namespace, body }) : Promise.reject(e)));
    },
  };
}

const options = (): DeviceIdentitiesOptions => ({ deviceConnectionString: hub.deviceConnectionString, namespace: cluster.namespace, hubCa: hub.caPem, caSecretStore: store() });
const model = { edgeHub: { name: 'edgeHub' }, modules: [{ name: 'sensor' }] };

test('open + sync: $edgeAgent connection string, identities, a device CA kept in a Secret; a restart changes nothing', async () => {
  const ids = DeviceIdentities.open(options());
  expect(await ids.edgeAgentConnectionString()).toContain(`;ModuleId=$edgeAgent;SharedAccessKey=${hub.registry.getModule('edge-facade', '$edgeAgent').keys.primaryKey};GatewayHostName=${hub.gatewayHostName}`);
  const first = await ids.sync(model);
  expect(first.certificateActions.map((a) => a.kind)).toEqual(['create-ca', 'issue-server']);
  expect(writes).toBe(1);
  expect(first.moduleErrors.size).toBe(0);
  expect(first.credentials).toMatchObject({ namespace: cluster.namespace, deviceId: 'edge-facade', hubHostName: hub.serviceHost, gatewayHostName: 'edgehub' });
  const leaf = new X509Certificate(first.credentials.edgeHubTls!.serverCertChainPem);
  expect(leaf.subjectAltName).toContain(`DNS:edgehub.${cluster.namespace}.svc.cluster.local`);
  expect(leaf.verify(new X509Certificate(first.credentials.moduleTrustBundlePem!).publicKey)).toBe(true);
  const sensorKey = hub.registry.getModule('edge-facade', 'sensor').keys.primaryKey;

  const restarted = DeviceIdentities.open(options());
  const second = await restarted.sync(model);
  expect(second.certificateActions).toEqual([]);
  expect(writes).toBe(1);
  expect(second.report.writes).toBe(0);
  expect(second.credentials.edgeHubTls).toEqual(first.credentials.edgeHubTls);
  expect(hub.registry.getModule('edge-facade', 'sensor').keys.primaryKey).toBe(sensorKey);
});

test('IoT Hub failures become per-module status lines (by manifest module id) and a retry, never an exception', async () => {
  const ids = DeviceIdentities.open(options());
  hub.faults.throttleServiceApi(1);
  const sync = await ids.sync(model);
  expect([...sync.moduleErrors.keys()]).toEqual(['edgeHub', 'sensor']);
  expect(sync.moduleErrors.get('sensor')).toContain('429');
  expect(sync.retryInMs).toBeGreaterThan(0);
  expect(sync.retryInMs).toBeLessThanOrEqual(1200);
});

test('a bad device connection string is a one-line error without the key', async () => {
  const bad = hub.deviceConnectionString.replace('DeviceId=', 'Device=');
  expect(() => DeviceIdentities.open({ ...options(), deviceConnectionString: bad })).toThrow("device connection string has an unknown field 'Device'");
});

test('opens without IoT Hub or the cluster; the $edgeAgent string is asked again after a failure; recalled credentials stand in while IoT Hub is unreachable', async () => {
  let reads = 0;
  const counting: CaSecretStore = { read: async () => (reads++, store().read()), write: (secret) => store().write(secret) };
  // A device whose hub does not answer (nothing listens on this loopback address).
  const offline = hub.deviceConnectionString.replace(`HostName=${hub.serviceHost}`, 'HostName=127.0.0.45').replace(/;GatewayHostName=[^;]+/, '');
  const ids = DeviceIdentities.open({ ...options(), deviceConnectionString: offline, caSecretStore: counting });
  expect(reads).toBe(0);
  expect(ids.deviceId).toBe('edge-facade');
  expect(ids.hubHostName).toBe('127.0.0.45');
  await expect(ids.edgeAgentConnectionString()).rejects.toThrow(/ECONNREFUSED|unreachable|connect/i);
  await expect(ids.edgeAgentConnectionString()).rejects.toThrow(/ECONNREFUSED|unreachable|connect/i);

  // Without any known credential, every module fails with no identity.
  const cold = await ids.sync(model);
  expect(reads).toBe(1);
  expect(cold.report.modules.every((m) => m.outcome === 'failed' && !m.identity)).toBe(true);

  // The credential Secrets a bridge applied before (this device and hub only) stand in.
  const cs = (moduleId: string, host = '127.0.0.45', device = 'edge-facade') => Buffer.from(`HostName=${host};DeviceId=${device};ModuleId=${moduleId};SharedAccessKey=${Buffer.alloc(32, 9).toString('base64')};GatewayHostName=edgehub`).toString('base64');
  ids.recall([
    { metadata: { name: 'sensor-iotedge-identity' }, data: { EdgeHubConnectionString: cs('sensor') } },
    { metadata: { name: 'edgehub-iotedge-identity' }, data: { IotHubConnectionString: cs('$edgeHub') } },
    { metadata: { name: 'other-iotedge-identity' }, data: { EdgeHubConnectionString: cs('other', 'elsewhere.example') } },
    { metadata: { name: 'broken-iotedge-identity' }, data: { EdgeHubConnectionString: Buffer.from('HostName=x').toString('base64') } },
    { metadata: { name: 'unrelated' }, data: { EdgeHubConnectionString: cs('unrelated') } },
  ]);
  const warm = await ids.sync({ ...model, modules: [...model.modules, { name: 'other' }] });
  expect(reads).toBe(1);
  const byId = new Map(warm.report.modules.map((m) => [m.moduleId, m]));
  expect(byId.get('sensor')).toMatchObject({ outcome: 'failed', identity: { moduleId: 'sensor', keys: { primaryKey: Buffer.alloc(32, 9).toString('base64') } } });
  expect(byId.get('$edgeHub')?.identity?.moduleId).toBe('$edgeHub');
  expect(byId.get('other')?.identity).toBeUndefined();
  expect(warm.moduleErrors.get('sensor')).toMatch(/could not be listed/);
});
