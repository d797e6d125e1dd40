/**
 * Where a local `check` finds the device's credential: the flag, the variable, else the bridge's
 * credential Secret (the one the install Deployment names, else deploy/'s `iotedge-k8s-device`,
 * which `run --sandbox` writes with putCredentialSecret), read through the Kubernetes API of the
 * sandbox cluster. A module-only Secret and unusable strings give no credential, and no key is
 * ever in a message.
 */
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { DEFAULT_CREDENTIAL_SECRET, findDeviceCredential, type DeviceCredential } from '../../../translator/cli/device-credential.js';
import { installManifests } from '../../../translator/cli/install.js';
import { putCredentialSecret } from '../../../translator/cli/sandbox-session.js';
import { KubeConfigLoader } from '../../../translator/kube/index.js';

const KEY = Buffer.alloc(32, 1).toString('base64');
const MODULE_KEY = Buffer.alloc(32, 2).toString('base64');
const DEVICE_CS = `HostName=hub.azure-devices.net;DeviceId=edge-1;SharedAccessKey=${KEY}`;
const MODULE_CS = `HostName=hub.azure-devices.net;DeviceId=edge-1;ModuleId=$edgeAgent;SharedAccessKey=${MODULE_KEY}`;

let kube: KubeEmulator;
let kubeConfig: KubeConfigLoader;
let core: CoreV1Api;
let apps: AppsV1Api;

beforeAll(async () => {
  kube = await startKubeEmulator({ modules: false });
  kubeConfig = new KubeConfigLoader();
  kubeConfig.loadFromString(kube.kubeconfig);
  const kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
}, 30_000);

afterAll(async () => {
  await kube?.stop();
});

async function namespace(name: string): Promise<string> {
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

const noKey = (found: DeviceCredential) => {
  const text = JSON.stringify(found.kind === 'device' ? { ...found, device: { ...found.device, sharedAccessKey: undefined } } : found);
  expect(text).not.toContain(KEY);
  expect(text).not.toContain(MODULE_KEY);
};

test('the flag first, then the variable; neither reads the cluster', async () => {
  const flag = await findDeviceCredential(DEVICE_CS, { IOTEDGE_K8S_DEVICE_CONNECTION_STRING: 'ignored' }, kubeConfig, 'nowhere');
  expect(flag).toEqual({ kind: 'device', source: '--device-connection-string', device: { hostName: 'hub.azure-devices.net', deviceId: 'edge-1', sharedAccessKey: KEY } });
  const env = await findDeviceCredential(undefined, { IOTEDGE_K8S_DEVICE_CONNECTION_STRING: DEVICE_CS }, kubeConfig, 'nowhere');
  expect(env).toMatchObject({ kind: 'device', source: '$IOTEDGE_K8S_DEVICE_CONNECTION_STRING' });
});

test("the Secret and keys the install Deployment names", async () => {
  const ns = await namespace('cred-installed');
  const deployment = installManifests({ namespace: ns, credentialSecret: 'site-credentials', deviceConnectionStringKey: 'device', connectionStringKey: 'agent', withoutNamespace: true }).find((o) => o.kind === 'Deployment') as unknown as V1Deployment;
  await apps.createNamespacedDeployment({ namespace: ns, body: deployment });
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'site-credentials' }, stringData: { device: DEVICE_CS, agent: MODULE_CS } } });
  const found = await findDeviceCredential(undefined, {}, kubeConfig, ns);
  expect(found).toMatchObject({ kind: 'device', source: 'Secret site-credentials key device', device: { deviceId: 'edge-1', sharedAccessKey: KEY } });
  // The default Secret is not looked at when the Deployment names another.
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: DEFAULT_CREDENTIAL_SECRET }, stringData: { deviceConnectionString: DEVICE_CS.replace('edge-1', 'other') } } });
  expect(await findDeviceCredential(undefined, {}, kubeConfig, ns)).toMatchObject({ source: 'Secret site-credentials key device' });
});

test("without a bridge Deployment, deploy/'s Secret, as run --sandbox writes it (the namespace created when missing)", async () => {
  await putCredentialSecret(kubeConfig, 'cred-sandbox', { deviceConnectionString: DEVICE_CS, edgeAgentConnectionString: MODULE_CS });
  const found = await findDeviceCredential(undefined, {}, kubeConfig, 'cred-sandbox');
  expect(found).toMatchObject({ kind: 'device', source: `Secret ${DEFAULT_CREDENTIAL_SECRET} key deviceConnectionString`, device: { deviceId: 'edge-1' } });
  const secret = await core.readNamespacedSecret({ name: DEFAULT_CREDENTIAL_SECRET, namespace: 'cred-sandbox' });
  expect(Object.keys(secret.data ?? {}).sort()).toEqual(['connectionString', 'deviceConnectionString']);
  expect(secret.metadata?.labels ?? {}).toEqual({});
  // Again (a restarted sandbox): applied, not an error.
  await putCredentialSecret(kubeConfig, 'cred-sandbox', { deviceConnectionString: DEVICE_CS, edgeAgentConnectionString: MODULE_CS });
});

test('no Secret, or one with the $edgeAgent string only: none, saying where it looked and how to give one', async () => {
  const ns = await namespace('cred-none');
  const none = await findDeviceCredential(undefined, {}, kubeConfig, ns);
  expect(none).toEqual({ kind: 'none', reason: `no device credential found (no Secret ${DEFAULT_CREDENTIAL_SECRET} in namespace '${ns}'); pass --device-connection-string (or set IOTEDGE_K8S_DEVICE_CONNECTION_STRING)` });
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: DEFAULT_CREDENTIAL_SECRET }, stringData: { connectionString: MODULE_CS } } });
  const moduleOnly = await findDeviceCredential(undefined, {}, kubeConfig, ns);
  expect(moduleOnly).toMatchObject({ kind: 'none', reason: expect.stringContaining('holds only the $edgeAgent module connection string') });
  noKey(moduleOnly);
});

test('an unusable string is invalid with a reason that holds no key', async () => {
  const cases: [string, RegExp][] = [
    [MODULE_CS, /names a module \(ModuleId=\$edgeAgent\)/],
    [KEY, /^--device-connection-string is not a device connection string/],
    [`HostName=hub;SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY}`, /hub policy connection string/],
    ['HostName=hub;DeviceId=d;SharedAccessKey=short', /SharedAccessKey is not a base64 key/],
  ];
  for (const [text, problem] of cases) {
    const found = await findDeviceCredential(text, {}, kubeConfig, 'nowhere');
    expect(found).toMatchObject({ kind: 'invalid', source: '--device-connection-string', problem: expect.stringMatching(problem) });
    noKey(found);
  }
});
