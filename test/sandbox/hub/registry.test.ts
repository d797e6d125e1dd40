import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyContent, evaluateDevice } from '../../../sandbox/hub/deployments.js';
import { HubRegistry, type DesiredChange } from '../../../sandbox/hub/registry.js';
import type { StoredConfiguration } from '../../../sandbox/hub/configurations.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hub-registry-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function deployment(id: string, targetCondition: string, modules: Record<string, unknown>): StoredConfiguration {
  return {
    id,
    schemaVersion: '1.0',
    labels: {},
    content: { modulesContent: { $edgeAgent: { 'properties.desired': { schemaVersion: '1.1', modules } } as never, worker: { 'properties.desired': { interval: 5 } } } },
    targetCondition,
    priority: 1,
    createdTimeUtc: '',
    lastUpdatedTimeUtc: '',
    etag: 'e',
    metrics: { queries: {}, results: {} },
    sequence: 1,
  };
}

describe('HubRegistry', () => {
  test('edge devices get $edgeAgent and $edgeHub; everything is reloaded from the file', () => {
    const file = join(dir, 'reg.json');
    const first = HubRegistry.open(file);
    first.createDevice('e1', { iotEdge: true });
    first.patchDesired('e1', '$edgeAgent', { a: { b: 1 } });
    first.patchTags('e1', undefined, { env: 'prod' });
    const again = HubRegistry.open(file);
    expect(again.policyKey).toBe(first.policyKey);
    expect(again.listModules('e1').map((m) => m.moduleId).sort()).toEqual(['$edgeAgent', '$edgeHub']);
    expect(again.getModule('e1', '$edgeAgent').twin).toMatchObject({ desired: { a: { b: 1 } }, desiredVersion: 2 });
    expect(again.getDevice('e1').twin.tags).toEqual({ env: 'prod' });
  });

  test('desired changes are emitted as merge patches with the new version; no-op changes are not', () => {
    const registry = HubRegistry.open();
    registry.createDevice('d');
    const changes: DesiredChange[] = [];
    registry.on('desired', (c) => changes.push(c));
    registry.patchDesired('d', undefined, { a: 1, b: { c: 2 } });
    registry.replaceDesired('d', undefined, { b: { c: 3 } });
    registry.replaceDesired('d', undefined, { b: { c: 3 } });
    expect(changes).toEqual([
      { deviceId: 'd', patch: { a: 1, b: { c: 2 } }, version: 2 },
      { deviceId: 'd', patch: { a: null, b: { c: 3 } }, version: 3 },
    ]);
  });

  test('etags, duplicates and unknown identities produce typed errors', () => {
    const registry = HubRegistry.open();
    const device = registry.createDevice('d');
    expect(() => registry.createDevice('d')).toThrow(expect.objectContaining({ status: 409, code: 'DeviceAlreadyExists' }));
    expect(() => registry.updateDevice('d', '"stale"', { status: 'disabled' })).toThrow(expect.objectContaining({ status: 412 }));
    expect(registry.updateDevice('d', `"${device.etag}"`, { status: 'disabled' }).status).toBe('disabled');
    expect(() => registry.getModule('d', 'nope')).toThrow(expect.objectContaining({ status: 404, code: 'ModuleNotFound' }));
    expect(() => registry.createDevice('bad/id')).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => registry.createDevice('k', { keys: { primaryKey: 'short', secondaryKey: 'short' } })).toThrow('at least 16 bytes');
  });
});

describe('deployments', () => {
  test('a deployment names a module before it exists; its desired document applies when the module is created', () => {
    const registry = HubRegistry.open();
    registry.createDevice('e', { iotEdge: true });
    registry.patchTags('e', undefined, { env: 'prod' });
    registry.putConfiguration(deployment('d1', "tags.env='prod'", { worker: { type: 'docker' } }));
    expect(evaluateDevice(registry, 'e')).toBe(true);
    expect(registry.getModule('e', '$edgeAgent').twin.desired).toEqual({ schemaVersion: '1.1', modules: { worker: { type: 'docker' } } });
    expect(registry.findIdentity('e', 'worker')).toBeUndefined();
    const worker = registry.createModule('e', 'worker', { managedBy: 'IotEdge' });
    expect(worker.twin).toMatchObject({ desired: { interval: 5 }, desiredVersion: 2 });
  });

  test('deployments ignore non-edge and untargeted devices', () => {
    const registry = HubRegistry.open();
    registry.createDevice('plain');
    registry.createDevice('e', { iotEdge: true });
    registry.putConfiguration(deployment('d1', "tags.env='prod'", {}));
    expect(evaluateDevice(registry, 'plain')).toBe(false);
    expect(evaluateDevice(registry, 'e')).toBe(false);
    expect(registry.getModule('e', '$edgeAgent').twin.desiredVersion).toBe(1);
  });

  test('applyConfigurationContent validates its input', () => {
    const registry = HubRegistry.open();
    registry.createDevice('plain');
    registry.createDevice('e', { iotEdge: true });
    expect(() => applyContent(registry, 'plain', { modulesContent: {} })).toThrow('not an IoT Edge device');
    expect(() => applyContent(registry, 'e', { deviceContent: {} })).toThrow('only modulesContent');
    expect(() => applyContent(registry, 'e', { modulesContent: { $edgeAgent: { 'properties.desired': 'x' } } })).toThrow("['properties.desired'] must be an object");
    expect(() => applyContent(registry, 'missing', { modulesContent: {} })).toThrow('device missing not found');
  });
});
