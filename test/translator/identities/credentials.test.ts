/** Credentials into Kubernetes objects: pure functions over the translator's output. */
import { translate, type KubeObject } from '../../../translator/translate/index.js';
import {
  credentialObjects,
  CREDENTIAL_HASH_ANNOTATION,
  desiredIdentityIds,
  withCredentials,
  withModuleCredentials,
  type CredentialInput,
  type KeyedIdentity,
} from '../../../translator/identities/index.js';
import { deploymentModel, edgeHubModel, moduleModel } from '../translate/builders.js';
import { assertValidK8s } from '../../support/k8s-schema.js';

const NS = 'site1';
const model = deploymentModel([moduleModel('SimulatedTemperatureSensor'), moduleModel('filter', {}, { restartPolicy: 'never' })], { edgeHub: edgeHubModel() });
const translated = translate(model, { namespace: NS, deviceId: 'dev-1', hubHostname: 'myhub.azure-devices.net' }).objects;

const key = (n: number): string => Buffer.alloc(32, n).toString('base64');
const identity = (moduleId: string, n: number): KeyedIdentity => ({ deviceId: 'dev-1', moduleId, generationId: `gen-${n}`, etag: `e${n}`, managedBy: 'IotEdge', keys: { primaryKey: key(n), secondaryKey: key(n + 100) } });

const input = (over: Partial<CredentialInput> = {}): CredentialInput => ({
  namespace: NS,
  hubHostName: 'myhub.azure-devices.net',
  deviceId: 'dev-1',
  gatewayHostName: 'edgehub',
  identities: new Map([
    ['$edgeHub', identity('$edgeHub', 1)],
    ['SimulatedTemperatureSensor', identity('SimulatedTemperatureSensor', 2)],
    ['filter', identity('filter', 3)],
  ]),
  moduleTrustBundlePem: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
  edgeHubTls: { serverCertChainPem: 'LEAF+CA', serverKeyPem: 'KEY', trustBundlePem: 'BUNDLE' },
  ...over,
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const template = (objects: KubeObject[], name: string): any => (objects.find((o) => (o.kind === 'Deployment' || o.kind === 'Job') && o.metadata.name === name)!.spec as any).template;
const env = (objects: KubeObject[], name: string): Record<string, unknown> =>
  Object.fromEntries((template(objects, name).spec.containers[0].env as { name: string; value?: string; valueFrom?: unknown }[]).map((e) => [e.name, e.value ?? e.valueFrom]));
const secretData = (objects: KubeObject[], name: string): Record<string, string> =>
  Object.fromEntries(Object.entries((objects.find((o) => o.kind === 'Secret' && o.metadata.name === name)!.data as Record<string, string>)).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

test('desired identity ids: $edgeHub and the user modules, as IoT Hub names them', () => {
  expect(desiredIdentityIds(model)).toEqual(['$edgeHub', 'SimulatedTemperatureSensor', 'filter']);
});

test('a user module gets EdgeHubConnectionString from its Secret, the CA file, the generation id and the gateway', () => {
  const out = withCredentials(translated, input());
  assertValidK8s(out);
  const e = env(out, 'simulatedtemperaturesensor');
  expect(e.EdgeHubConnectionString).toEqual({ secretKeyRef: { name: 'simulatedtemperaturesensor-iotedge-identity', key: 'EdgeHubConnectionString' } });
  expect(e).toMatchObject({
    EdgeModuleCACertificateFile: '/etc/iotedge-k8s/trust-bundle/ca.pem',
    IOTEDGE_MODULEGENERATIONID: 'gen-2',
    IOTEDGE_MODULEID: 'SimulatedTemperatureSensor',
    IOTEDGE_DEVICEID: 'dev-1',
    IOTEDGE_IOTHUBHOSTNAME: 'myhub.azure-devices.net',
    IOTEDGE_GATEWAYHOSTNAME: 'edgehub',
  });
  expect(JSON.stringify(template(out, 'simulatedtemperaturesensor'))).not.toContain(key(2));
  expect(secretData(out, 'simulatedtemperaturesensor-iotedge-identity')).toEqual({
    EdgeHubConnectionString: `HostName=myhub.azure-devices.net;DeviceId=dev-1;ModuleId=SimulatedTemperatureSensor;SharedAccessKey=${key(2)};GatewayHostName=edgehub`,
  });
  expect(template(out, 'simulatedtemperaturesensor').spec.volumes).toContainEqual({ name: 'iotedge-trust-bundle', secret: { secretName: 'iotedge-k8s-trust-bundle', defaultMode: 0o444 } });
  expect(template(out, 'simulatedtemperaturesensor').spec.containers[0].volumeMounts).toContainEqual({ name: 'iotedge-trust-bundle', mountPath: '/etc/iotedge-k8s/trust-bundle', readOnly: true });
  expect(secretData(out, 'iotedge-k8s-trust-bundle')).toEqual({ 'ca.pem': input().moduleTrustBundlePem });
  // A Job-based module is patched the same way.
  expect(env(out, 'filter').EdgeHubConnectionString).toEqual({ secretKeyRef: { name: 'filter-iotedge-identity', key: 'EdgeHubConnectionString' } });
});

test('--gateway-host replaces the gateway in the connection string and IOTEDGE_GATEWAYHOSTNAME', () => {
  const out = withCredentials(translated, input({ gatewayHostName: 'gw.example.com' }));
  expect(env(out, 'simulatedtemperaturesensor').IOTEDGE_GATEWAYHOSTNAME).toBe('gw.example.com');
  expect(secretData(out, 'simulatedtemperaturesensor-iotedge-identity').EdgeHubConnectionString).toMatch(/;GatewayHostName=gw\.example\.com$/);
});

test("edgeHub runs in its connection-string mode: $edgeHub's IotHubConnectionString, dev certificate files, EdgeDeviceHostName, no gateway", () => {
  const out = withCredentials(translated, input());
  const e = env(out, 'edgehub');
  expect(e).toMatchObject({
    IotHubConnectionString: { secretKeyRef: { name: 'edgehub-iotedge-identity', key: 'IotHubConnectionString' } },
    IOTEDGE_MODULEID: '$edgeHub',
    EdgeDeviceHostName: 'edgehub',
    EdgeHubDevServerCertificateFile: '/etc/iotedge-k8s/edgehub-server/server.pem',
    EdgeHubDevServerPrivateKeyFile: '/etc/iotedge-k8s/edgehub-server/server.key.pem',
    EdgeHubDevTrustBundleFile: '/etc/iotedge-k8s/edgehub-server/trust-bundle.pem',
    IOTEDGE_MODULEGENERATIONID: 'gen-1',
  });
  expect(e).not.toHaveProperty('IOTEDGE_GATEWAYHOSTNAME');
  expect(e).not.toHaveProperty('EdgeHubConnectionString');
  expect(secretData(out, 'edgehub-iotedge-identity')).toEqual({ IotHubConnectionString: `HostName=myhub.azure-devices.net;DeviceId=dev-1;ModuleId=$edgeHub;SharedAccessKey=${key(1)}` });
  expect(secretData(out, 'iotedge-k8s-edgehub-server')).toEqual({ 'server.pem': 'LEAF+CA', 'server.key.pem': 'KEY', 'trust-bundle.pem': 'BUNDLE' });
  const labels = out.find((o) => o.metadata.name === 'edgehub-iotedge-identity')!.metadata.labels;
  expect(labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'iotedge-k8s', 'net.azure-devices.edge.deviceid': 'dev-1', 'net.azure-devices.edge.module': 'edgehub' });
});

test('a module without a known identity is left as translated and gets no Secret; nothing is mutated', () => {
  const before = JSON.stringify(translated);
  const ids = new Map([['SimulatedTemperatureSensor', identity('SimulatedTemperatureSensor', 2)]]);
  const out = withModuleCredentials(translated, input({ identities: ids }));
  expect(template(out, 'filter')).toEqual(template(translated, 'filter'));
  expect(credentialObjects(translated, input({ identities: ids, edgeHubTls: undefined, moduleTrustBundlePem: undefined })).map((o) => o.metadata.name)).toEqual([
    'simulatedtemperaturesensor-iotedge-identity',
  ]);
  expect(JSON.stringify(translated)).toBe(before);
  // The identity loop's report works as input too (failed modules with a last known identity keep it).
  const fromReport = withModuleCredentials(translated, input({ identities: [{ moduleId: 'filter', outcome: 'failed', error: 'x', identity: identity('filter', 3) }] }));
  expect(env(fromReport, 'filter').IOTEDGE_MODULEGENERATIONID).toBe('gen-3');
});

test('a module removed from the deployment has no credential Secret any more (pruning deletes it), even while its identity is still known', () => {
  const without = translate(deploymentModel([moduleModel('SimulatedTemperatureSensor')], { edgeHub: edgeHubModel() }), { namespace: NS, deviceId: 'dev-1', hubHostname: 'myhub.azure-devices.net' }).objects;
  const names = credentialObjects(without, input()).map((o) => o.metadata.name);
  expect(names).toEqual(['edgehub-iotedge-identity', 'simulatedtemperaturesensor-iotedge-identity', 'iotedge-k8s-trust-bundle', 'iotedge-k8s-edgehub-server']);
});

test('the credential fingerprint changes with a rotated key or a new trust bundle, and only then', () => {
  const hash = (i: CredentialInput): string => template(withModuleCredentials(translated, i), 'simulatedtemperaturesensor').metadata.annotations[CREDENTIAL_HASH_ANNOTATION];
  const base = hash(input());
  expect(hash(input())).toBe(base);
  expect(base).toMatch(/^[0-9a-f]{16}$/);
  const rotated = new Map(input().identities as Map<string, KeyedIdentity>);
  rotated.set('SimulatedTemperatureSensor', { ...identity('SimulatedTemperatureSensor', 2), keys: { primaryKey: key(9), secondaryKey: key(10) } });
  expect(hash(input({ identities: rotated }))).not.toBe(base);
  expect(hash(input({ moduleTrustBundlePem: 'other' }))).not.toBe(base);
});
