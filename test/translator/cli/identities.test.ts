/**
 * `run`'s identity wiring (translator/cli/identities.ts) against the emulators: the device CA
 * Secret store on the Kubernetes API, and the preparePass hook, which refuses a pass (so nothing
 * is applied) while no module has a credential because IoT Hub cannot be reached.
 */
import * as k8s from '@kubernetes/client-node';
import type { HubEmulator } from '../../../sandbox/hub/index.js';
import { DEVICE_CA_SECRET } from '../../../translator/identities/index.js';
import { parseManifest } from '../../../translator/manifest/index.js';
import { translate } from '../../../translator/translate/index.js';
import { identityPass, kubeCaSecretStore, openIdentities } from '../../../translator/cli/identities.js';
import { deploymentManifest, dockerModule } from '../../support/manifest.js';
import type { TestCluster } from '../../support/cluster.js';
import { openDeviceCluster, type DeviceCluster } from '../../support/device-site.js';

let hub: HubEmulator;
let cluster: TestCluster;
let site: DeviceCluster;

beforeAll(async () => {
  site = await openDeviceCluster('cli-ids', { serviceHost: '127.0.0.44', deviceId: 'edge-cli-ids' }, { tls: false, timeFactor: 0.05, modules: false });
  ({ hub, cluster } = site);
}, 30_000);
afterAll(async () => {
  await site?.close();
});

test('the CA Secret store: undefined before it exists, then what was written', async () => {
  const store = kubeCaSecretStore(cluster.kc, cluster.namespace);
  expect(await store.read()).toBeUndefined();
  await store.write({ apiVersion: 'v1', kind: 'Secret', metadata: { name: DEVICE_CA_SECRET, namespace: cluster.namespace }, data: { 'ca.pem': Buffer.from('x').toString('base64') } });
  const read = (await store.read()) as k8s.V1Secret;
  expect(read.data).toEqual({ 'ca.pem': Buffer.from('x').toString('base64') });
});

test('the preparePass hook adds credentials, and refuses the pass while IoT Hub cannot give any', async () => {
  const namespace = `${cluster.namespace}-other`;
  await cluster.kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  const { model } = parseManifest(deploymentManifest({ modules: { sensor: dockerModule('contoso/sensor:1') } }));
  const objects = translate(model!, { namespace, deviceId: hub.deviceId, hubHostname: hub.serviceHost }).objects;

  // A bridge that just started while IoT Hub throttles every call: no credential known, nothing applied.
  const starting = await openIdentities({ deviceConnectionString: hub.deviceConnectionString, namespace, hubCa: hub.caPem }, cluster.kc);
  hub.faults.throttleServiceApi(1000);
  await expect(identityPass(starting)({ version: 1, model: model!, objects })).rejects.toThrow(/module identities could not be listed: .*429/);
  hub.faults.clear();

  const ids = await openIdentities({ deviceConnectionString: hub.deviceConnectionString, namespace, hubCa: hub.caPem, gatewayHost: 'gw.example' }, cluster.kc);
  const pass = await identityPass(ids)({ version: 1, model: model!, objects });
  expect(pass.moduleNotes?.size).toBe(0);
  expect(pass.objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name).sort()).toEqual(['edgehub-iotedge-identity', 'iotedge-k8s-edgehub-server', 'iotedge-k8s-trust-bundle', 'sensor-iotedge-identity']);
  expect(pass.nextPassInMs).toBeGreaterThan(0);

  // Once credentials are known, a refusing IoT Hub only adds notes: the known credentials stay.
  hub.faults.throttleServiceApi(1000);
  const refused = await identityPass(ids)({ version: 2, model: model!, objects });
  hub.faults.clear();
  expect(refused.moduleNotes?.get('sensor')).toMatch(/429/);
  expect(refused.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(pass.objects.map((o) => `${o.kind}/${o.metadata.name}`));
  expect(refused.nextPassInMs).toBeLessThanOrEqual(2_000);
});
