/**
 * `run --device-connection-string` on a cluster (not --sandbox, so modules trust the device CA the
 * bridge keeps), checked with real clients only: the Kubernetes API, azure-iothub, node:crypto and
 * node:tls.
 * - edgeHub's server certificate has the SANs and chains to the CA modules get (a TLS client that
 *   trusts only the modules' CA file verifies a server using edgeHub's files);
 * - a restarted bridge creates no new keys and keeps its CA;
 * - with only --connection-string, modules get no credentials, and the bridge says so once in its
 *   log and in edgeAgent's reported statusDescription;
 * - a refused device credential does not end `run` (as with --connection-string, an IoT Hub that
 *   refuses or cannot be reached never tears down what runs): /readyz says IoT Hub refused it
 *   (401), naming no key; a malformed connection string is one line and exit 1.
 */
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import type { Registry } from 'azure-iothub';
import type { HubEmulator } from '../../sandbox/hub/index.js';
import type { KubeEmulator } from '../../sandbox/kube/index.js';
import { main, startRun, type Io, type RunFlags, type RunningBridge } from '../../translator/cli/index.js';
import { samplePath } from '../golden/samples.js';
import { startDeviceSite, type DeviceSite } from '../support/device-site.js';
import { waitFor } from '../support/wait.js';

const NS = 'ids-cluster';
const GATEWAY = 'edge-gateway.example.net';
let site: DeviceSite;
let kube: KubeEmulator;
let hub: HubEmulator;
let registry: Registry;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let running: RunningBridge | undefined;
let logs = '';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- twins and deployments are free-form JSON here
type Json = any;

const io: Io = { stdout: (t) => (logs += t), stderr: (t) => (logs += t) };

function flags(namespace: string, credential: Pick<RunFlags, 'deviceConnectionString' | 'connectionString'>): RunFlags {
  return { ...site.runFlags(namespace, credential.deviceConnectionString ? 'device-connection-string' : 'connection-string', { gatewayHost: GATEWAY, logLevel: 'info', translate: { namespace } }), ...credential };
}

async function reported(): Promise<Json> {
  return ((await registry.getModuleTwin(hub.deviceId, '$edgeAgent')).responseBody as Json).properties.reported;
}

async function secretText(name: string, key: string, namespace = NS): Promise<string> {
  const secret = await core.readNamespacedSecret({ name, namespace });
  return Buffer.from(secret.data![key]!, 'base64').toString('utf8');
}

beforeAll(async () => {
  site = await startDeviceSite({ serviceHost: '127.0.0.167', kube: { timeFactor: 0.01, modules: false } });
  ({ kube, hub, registry, core, apps } = site);
  running = await startRun(flags(NS, { deviceConnectionString: hub.deviceConnectionString }), io);
  await registry.applyConfigurationContentOnDevice(hub.deviceId, JSON.parse(readFileSync(samplePath('webserver.json'), 'utf8')));
  const version = ((await registry.getModuleTwin(hub.deviceId, '$edgeAgent')).responseBody as Json).properties.desired.$version;
  await waitFor('the deployment applied', async () => ((await reported()).lastDesiredVersion === version ? true : undefined), 30_000);
  await waitFor('the webserver credential', () => core.readNamespacedSecret({ name: 'webserverapp-iotedge-identity', namespace: NS }));
}, 60_000);

afterAll(async () => {
  await running?.stop();
  await site?.stop();
});

test("edgeHub's server certificate has the SANs and chains to the CA modules get", async () => {
  // What a module gets: the CA file of its pod, from the Secret its volume names.
  const pod = (await apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS })).spec!.template.spec!;
  const caPath = pod.containers[0]!.env!.find((e) => e.name === 'EdgeModuleCACertificateFile')!.value!;
  const mount = pod.containers[0]!.volumeMounts!.find((m) => caPath.startsWith(`${m.mountPath}/`))!;
  const volume = pod.volumes!.find((v) => v.name === mount.name)!;
  const moduleCa = await secretText(volume.secret!.secretName!, caPath.slice(mount.mountPath.length + 1));
  expect(await secretText('webserverapp-iotedge-identity', 'EdgeHubConnectionString')).toMatch(new RegExp(`;ModuleId=webserverapp;SharedAccessKey=[^;]+;GatewayHostName=${GATEWAY}$`));

  // What edgeHub gets: the files its environment names, from the Secret its volume names.
  const hubPod = (await apps.readNamespacedDeployment({ name: 'edgehub', namespace: NS })).spec!.template.spec!;
  const env = Object.fromEntries(hubPod.containers[0]!.env!.map((e) => [e.name, e]));
  expect(env.IotHubConnectionString!.valueFrom?.secretKeyRef?.name).toBe('edgehub-iotedge-identity');
  expect(await secretText('edgehub-iotedge-identity', 'IotHubConnectionString')).toMatch(/;ModuleId=\$edgeHub;SharedAccessKey=[^;]+$/);
  expect(env.IOTEDGE_MODULEID!.value).toBe('$edgeHub');
  expect(env.EdgeDeviceHostName!.value).toBe(GATEWAY);
  expect(env.IOTEDGE_GATEWAYHOSTNAME).toBeUndefined();
  const hubMount = hubPod.containers[0]!.volumeMounts!.find((m) => env.EdgeHubDevServerCertificateFile!.value!.startsWith(`${m.mountPath}/`))!;
  const hubSecret = hubPod.volumes!.find((v) => v.name === hubMount.name)!.secret!.secretName!;
  const file = (variable: string) => secretText(hubSecret, env[variable]!.value!.slice(hubMount.mountPath.length + 1));
  const chain = await file('EdgeHubDevServerCertificateFile');
  const key = await file('EdgeHubDevServerPrivateKeyFile');

  const leaf = new X509Certificate(chain);
  expect(leaf.subjectAltName!.split(', ').sort()).toEqual([`DNS:${GATEWAY}`, 'DNS:edgehub', `DNS:edgehub.${NS}`, `DNS:edgehub.${NS}.svc`, `DNS:edgehub.${NS}.svc.cluster.local`].sort());
  const cas = moduleCa.split(/(?<=-----END CERTIFICATE-----)\s*/).filter((p) => p.includes('BEGIN')).map((p) => new X509Certificate(p));
  expect(cas.some((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey))).toBe(true);

  // A TLS client that trusts only the modules' CA file accepts a server with edgeHub's files, for each name.
  const server: Server = createServer({ cert: chain, key }, (socket) => socket.end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    for (const name of ['edgehub', `edgehub.${NS}.svc`, GATEWAY]) {
      const got = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ca: moduleCa, servername: name }, () => undefined);
        let text = '';
        socket.on('data', (d: Buffer) => (text += d.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(got).toBe('hello');
    }
  } finally {
    server.close();
  }
}, 30_000);

test('a restarted bridge creates no new keys and keeps its CA', async () => {
  const modules = async () => Object.fromEntries(((await registry.getModulesOnDevice(hub.deviceId)).responseBody as Json[]).map((m) => [m.moduleId, { etag: m.etag, key: m.authentication.symmetricKey.primaryKey }]));
  const before = await modules();
  const credential = await secretText('webserverapp-iotedge-identity', 'EdgeHubConnectionString');
  const ca = (await core.readNamespacedSecret({ name: 'iotedge-k8s-device-ca', namespace: NS })).data;
  const started = (await reported()).systemModules.edgeAgent.lastStartTimeUtc;
  await running!.stop();
  running = undefined;
  running = await startRun(flags(NS, { deviceConnectionString: hub.deviceConnectionString }), io);
  await waitFor('the new bridge reporting', async () => ((await reported()).systemModules.edgeAgent.lastStartTimeUtc !== started ? true : undefined), 30_000);
  // A new version, so that a pass of the new bridge has certainly run when it is reported applied.
  const content = JSON.parse(readFileSync(samplePath('webserver.json'), 'utf8'));
  content.modulesContent.$edgeAgent['properties.desired'].modules.webserverapp.env = { AFTER_RESTART: { value: '1' } };
  await registry.applyConfigurationContentOnDevice(hub.deviceId, content);
  const version = ((await registry.getModuleTwin(hub.deviceId, '$edgeAgent')).responseBody as Json).properties.desired.$version;
  await waitFor('the new version applied', async () => {
    const r = await reported();
    return r.lastDesiredVersion === version && r.lastDesiredStatus.code === 200 ? true : undefined;
  }, 30_000);
  const env = (await apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS })).spec!.template.spec!.containers[0]!.env!.map((e) => e.name);
  expect(env).toEqual(expect.arrayContaining(['AFTER_RESTART', 'EdgeHubConnectionString']));
  expect(await modules()).toEqual(before);
  expect(Object.keys(before).sort()).toEqual(['$edgeAgent', '$edgeHub', 'webserverapp']);
  expect(await secretText('webserverapp-iotedge-identity', 'EdgeHubConnectionString')).toBe(credential);
  expect((await core.readNamespacedSecret({ name: 'iotedge-k8s-device-ca', namespace: NS })).data).toEqual(ca);
}, 60_000);

test('a deleted credential Secret is restored with the same credential', async () => {
  const credential = await secretText('webserverapp-iotedge-identity', 'EdgeHubConnectionString');
  const before = await core.readNamespacedSecret({ name: 'webserverapp-iotedge-identity', namespace: NS });
  await core.deleteNamespacedSecret({ name: 'webserverapp-iotedge-identity', namespace: NS });
  await waitFor('the Secret restored', async () => {
    const s = await core.readNamespacedSecret({ name: 'webserverapp-iotedge-identity', namespace: NS });
    return s.metadata?.uid !== before.metadata?.uid ? s : undefined;
  });
  expect(await secretText('webserverapp-iotedge-identity', 'EdgeHubConnectionString')).toBe(credential);
}, 30_000);

test('while IoT Hub refuses the identity calls, what runs keeps its credentials, the modules report why, and the bridge retries until it recovers', async () => {
  const credential = await secretText('webserverapp-iotedge-identity', 'EdgeHubConnectionString');
  // Every service API call (the bridge's listing of module identities) gets 429 until the fault
  // is cleared; this test makes none meanwhile and watches the document the bridge reports.
  hub.faults.throttleServiceApi(1_000_000);
  await apps.deleteNamespacedDeployment({ name: 'webserverapp', namespace: NS });
  const description = () => running!.bridge.report?.modules.webserverapp?.statusDescription ?? '';
  await waitFor('the identity error reported on the module', () => (/module identities could not be listed: .*429/.test(description()) ? true : undefined), 20_000);
  const restored = await waitFor('webserverapp restored', () => apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS }));
  expect(restored.spec!.template.spec!.containers[0]!.env!.map((e) => e.name)).toContain('EdgeHubConnectionString');
  hub.faults.throttleServiceApi(0);
  await waitFor('the error gone once IoT Hub answers', () => (description() !== '' && !description().includes('could not be listed') ? true : undefined), 30_000);
  expect(await secretText('webserverapp-iotedge-identity', 'EdgeHubConnectionString')).toBe(credential);
  const r = await waitFor('the twin without the error', async () => {
    const rep = await reported();
    return rep.modules.webserverapp.statusDescription.includes('could not be listed') ? undefined : rep;
  });
  expect(r.modules.webserverapp.statusDescription).not.toContain('429');
}, 60_000);

test('with only --connection-string, modules get no credentials and the bridge says so once in its log and in the reported status', async () => {
  await running!.stop();
  running = undefined;
  logs = '';
  const other = `${NS}-cs`;
  running = await startRun(flags(other, { connectionString: hub.edgeAgentConnectionString }), io);
  const note = 'modules get no IoT Hub credentials';
  const r = await waitFor('the note reported', async () => {
    const rep = await reported();
    return rep.systemModules.edgeAgent.statusDescription.includes(note) ? rep : undefined;
  }, 30_000);
  expect(r.systemModules.edgeAgent.statusDescription).toMatch(/^running; modules get no IoT Hub credentials: .*--device-connection-string/);
  const deployment = await waitFor('webserverapp applied', () => apps.readNamespacedDeployment({ name: 'webserverapp', namespace: other }));
  expect(deployment.spec!.template.spec!.containers[0]!.env?.map((e) => e.name)).not.toContain('EdgeHubConnectionString');
  expect(logs.split(note).length - 1).toBe(1);
}, 60_000);

test('a refused device credential: run keeps running and /readyz says IoT Hub refused it (401), naming no key; a malformed one is exit 1', async () => {
  await running!.stop();
  running = undefined;
  const key = Buffer.alloc(32, 7).toString('base64');
  const forged = hub.deviceConnectionString.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${key}`);
  let out = '';
  running = await startRun(flags('ids-refused', { deviceConnectionString: forged }), { stdout: (t) => (out += t), stderr: (t) => (out += t) });
  const readyz = await waitFor('/readyz naming the 401', async () => {
    const r = await fetch(`${running!.opsUrl}/readyz`);
    const text = await r.text();
    return r.status === 503 && /401/.test(text) ? text : undefined;
  });
  expect(readyz).toMatch(/^not ready: .*not connected to IoT Hub: cannot obtain the \$edgeAgent connection string: .*401/);
  expect(readyz).not.toContain(key);
  expect((await fetch(`${running.opsUrl}/healthz`)).status).toBe(200);
  expect(out).toMatch(/401/);
  expect(out).not.toContain(key);
  await running.stop();
  running = undefined;

  const bad = await main(['run', '--kubeconfig', kube.kubeconfigPath!, '--device-connection-string', 'HostName=h;DeviceId=d;SharedAccessKey=c2VjcmV0;ModuleId=m', '--ops-port', '0'], { stdout: (t) => (out += t), stderr: (t) => (out += t) });
  expect(bad).toBe(1);
  expect(out).toContain('error: the device connection string is not valid');
  expect(out).not.toContain('c2VjcmV0');
}, 30_000);
