/**
 * The identity loop against the hub emulator over real HTTPS, authenticated with the device key
 * only (device-scoped SAS), as aziot-identityd does. Checked through azure-iothub's Registry.
 */
import iothub from 'azure-iothub';
import { startHubEmulator, trustHubCa, type HubEmulator } from '../../../sandbox/hub/index.js';
import {
  IdentityReconciler,
  ModuleRegistryClient,
  RegistryError,
  ensureSystemIdentities,
  moduleConnectionString,
  parseDeviceConnectionString,
  type IdentityReport,
} from '../../../translator/identities/index.js';

const { Registry } = iothub;
const DEVICE = 'edge-ids';
let hub: HubEmulator;
let registry: InstanceType<typeof Registry>;

beforeAll(async () => {
  hub = await startHubEmulator({ serviceHost: '127.0.0.163', seedEdgeDevice: DEVICE });
  registry = trustHubCa(Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
});
afterAll(async () => hub?.stop());

const client = (cs = hub.deviceConnectionString): ModuleRegistryClient => new ModuleRegistryClient({ device: parseDeviceConnectionString(cs), ca: hub.caPem });
const moduleIds = async (): Promise<string[]> => (await registry.getModulesOnDevice(DEVICE)).responseBody.map((m) => m.moduleId).sort();
const byId = (report: IdentityReport, id: string) => report.modules.find((m) => m.moduleId === id)!;

test('creates missing identities (managedBy IotEdge), keeps present ones without a write, deletes departed ones, never touches foreign ones', async () => {
  await registry.addModule({ deviceId: DEVICE, moduleId: 'foreign', managedBy: 'someone-else' } as never);
  await registry.addModule({ deviceId: DEVICE, moduleId: 'handmade' });
  const loop = new IdentityReconciler(client());

  const first = await loop.reconcile(['$edgeHub', 'sensor', 'filter']);
  expect(first.modules.map((m) => [m.moduleId, m.outcome])).toEqual([
    ['$edgeHub', 'kept'],
    ['sensor', 'created'],
    ['filter', 'created'],
  ]);
  expect(first.writes).toBe(2);
  const sensor = (await registry.getModule(DEVICE, 'sensor')).responseBody;
  expect(sensor.managedBy).toBe('IotEdge');
  expect(byId(first, 'sensor').identity!.keys.primaryKey).toBe(sensor.authentication!.symmetricKey!.primaryKey);
  expect(byId(first, 'sensor').identity!.generationId).toBe(sensor.generationId);

  const second = await loop.reconcile(['$edgeHub', 'sensor', 'filter']);
  expect(second.writes).toBe(0);
  expect(second.modules.every((m) => m.outcome === 'kept')).toBe(true);
  expect((await registry.getModule(DEVICE, 'sensor')).responseBody.etag).toBe(sensor.etag);

  const third = await loop.reconcile(['$edgeHub', 'sensor']);
  expect(third.deleted).toEqual(['filter']);
  expect(await moduleIds()).toEqual(['$edgeAgent', '$edgeHub', 'foreign', 'handmade', 'sensor']);

  // Dropping everything still leaves the system and foreign identities alone.
  const fourth = await loop.reconcile([]);
  expect(fourth.deleted).toEqual(['sensor']);
  expect(await moduleIds()).toEqual(['$edgeAgent', '$edgeHub', 'foreign', 'handmade']);

  // A foreign identity that is desired is used read-only.
  const foreignBefore = (await registry.getModule(DEVICE, 'foreign')).responseBody;
  const fifth = await loop.reconcile(['foreign']);
  expect(byId(fifth, 'foreign')).toMatchObject({ outcome: 'foreign', identity: { keys: { primaryKey: foreignBefore.authentication!.symmetricKey!.primaryKey } } });
  expect(fifth.writes).toBe(0);
  expect((await registry.getModule(DEVICE, 'foreign')).responseBody.etag).toBe(foreignBefore.etag);
  await loop.reconcile([]);
  expect(await moduleIds()).toContain('foreign');
});

test('managedBy is compared case-insensitively, as edgeAgent does: an "iotedge" identity left over by an earlier agent is ours to delete', async () => {
  await registry.addModule({ deviceId: DEVICE, moduleId: 'leftover', managedBy: 'iotedge' } as never);
  const report = await new IdentityReconciler(client()).reconcile([]);
  expect(report.deleted).toContain('leftover');
  expect(await moduleIds()).not.toContain('leftover');
});

test('a restarted bridge (new reconciler, new client) creates no new keys; a key rotated in IoT Hub is picked up', async () => {
  await new IdentityReconciler(client()).reconcile(['rotating']);
  const before = (await registry.getModule(DEVICE, 'rotating')).responseBody;
  const restarted = await new IdentityReconciler(client()).reconcile(['rotating']);
  expect(restarted.writes).toBe(0);
  expect(byId(restarted, 'rotating').identity!.keys.primaryKey).toBe(before.authentication!.symmetricKey!.primaryKey);

  const newKey = Buffer.alloc(32, 7).toString('base64');
  await registry.updateModule({ ...before, authentication: { type: 'sas', symmetricKey: { primaryKey: newKey, secondaryKey: newKey } } } as never, true);
  const after = await new IdentityReconciler(client()).reconcile(['rotating']);
  expect(byId(after, 'rotating').identity!.keys.primaryKey).toBe(newKey);
  expect(after.writes).toBe(0);
});

test('a removed and re-added module gets a new working identity', async () => {
  const loop = new IdentityReconciler(client());
  const one = byId(await loop.reconcile(['again']), 'again').identity!;
  await loop.reconcile([]);
  const two = byId(await loop.reconcile(['again']), 'again');
  expect(two.outcome).toBe('created');
  expect(two.identity!.keys.primaryKey).not.toBe(one.keys.primaryKey);
  expect(two.identity!.generationId).not.toBe(one.generationId);
});

test('failures are reported per module with the last known credential, retried with backoff, and nothing is deleted', async () => {
  let now = 1_000_000;
  const loop = new IdentityReconciler(client(), { now: () => now, random: () => 0.5 });
  const ok = await loop.reconcile(['steady']);
  const known = byId(ok, 'steady').identity!;

  hub.faults.throttleServiceApi(1);
  const failed = await loop.reconcile(['steady']);
  expect(byId(failed, 'steady')).toMatchObject({ outcome: 'failed', identity: { keys: known.keys } });
  expect(byId(failed, 'steady').error).toMatch(/could not be listed: .*HTTP 429 ThrottlingException/);
  expect(byId(failed, 'steady').error).not.toContain(known.keys.primaryKey);
  expect(failed.retryInMs).toBe(1000);
  expect(await moduleIds()).toContain('steady');

  // The list works again; a create that fails is retried only after its backoff, and backs off further.
  hub.faults.throttleServiceApi(0);
  const realCreate = ModuleRegistryClient.prototype.create;
  let creates = 0;
  const c = client();
  c.create = async () => {
    creates += 1;
    throw new RegistryError('PUT module: HTTP 503 ServiceUnavailable', 503, 'ServiceUnavailable');
  };
  const flaky = new IdentityReconciler(c, { now: () => now, random: () => 0.5 });
  expect((await flaky.reconcile(['late'])).retryInMs).toBe(1000);
  await flaky.reconcile(['late']);
  expect(creates).toBe(1);
  now += 1000;
  const again = await flaky.reconcile(['late']);
  expect(creates).toBe(2);
  expect(again.retryInMs).toBe(2000);
  c.create = realCreate.bind(c);
  now += 2000;
  const recovered = await flaky.reconcile(['late']);
  expect(byId(recovered, 'late').outcome).toBe('created');
  expect(recovered.retryInMs).toBeUndefined();
});

test('the device key is what authorizes: another device key gives 401, and errors never contain a key', async () => {
  const other = hub.registry.createDevice('edge-ids-other', { iotEdge: true });
  const forged = hub.deviceConnectionString.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${other.keys.primaryKey}`);
  const err = await client(forged).list().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RegistryError);
  expect((err as RegistryError).status).toBe(401);
  expect((err as RegistryError).retryable).toBe(false);
  expect((err as Error).message).not.toContain(other.keys.primaryKey);
  const report = await new IdentityReconciler(client(forged)).reconcile(['x']);
  expect(byId(report, 'x')).toMatchObject({ outcome: 'failed', error: expect.stringContaining('401') });
});

test('the system identities and the $edgeAgent connection string from the device connection string, keeping GatewayHostName', async () => {
  const device = parseDeviceConnectionString(hub.deviceConnectionString);
  const system = await ensureSystemIdentities(client());
  const agentKey = hub.registry.getModule(DEVICE, '$edgeAgent').keys.primaryKey;
  expect(moduleConnectionString(device, system.edgeAgent, device.gatewayHostName)).toBe(`HostName=${hub.serviceHost};DeviceId=${DEVICE};ModuleId=$edgeAgent;SharedAccessKey=${agentKey};GatewayHostName=${hub.gatewayHostName}`);
  expect(system.edgeHub.keys.primaryKey).toBe(hub.registry.getModule(DEVICE, '$edgeHub').keys.primaryKey);
  // Missing system identities are created.
  hub.registry.deleteModule(DEVICE, '$edgeHub');
  const again = await ensureSystemIdentities(client());
  expect(again.edgeHub.keys.primaryKey).toBe(hub.registry.getModule(DEVICE, '$edgeHub').keys.primaryKey);
  expect(hub.registry.getModule(DEVICE, '$edgeHub').managedBy).toBe('IotEdge');
});

test('a device id with capitals works although the token audience is lowercased (as aziot-identityd sends it)', async () => {
  const mixed = hub.registry.createDevice('Edge-Mixed', { iotEdge: true });
  const cs = `HostName=${hub.serviceHost};DeviceId=Edge-Mixed;SharedAccessKey=${mixed.keys.primaryKey}`;
  const report = await new IdentityReconciler(client(cs)).reconcile(['m1']);
  expect(report.modules[0]).toMatchObject({ outcome: 'created' });
  expect(hub.registry.getModule('Edge-Mixed', 'm1').managedBy).toBe('IotEdge');
});

test('passes never overlap: two calls at once create an identity once', async () => {
  const loop = new IdentityReconciler(client());
  const [a, b] = await Promise.all([loop.reconcile(['concurrent']), loop.reconcile(['concurrent'])]);
  expect(a.modules[0]!.outcome).toBe('created');
  expect(b.modules[0]!.outcome).toBe('kept');
  expect(b.writes).toBe(0);
});
