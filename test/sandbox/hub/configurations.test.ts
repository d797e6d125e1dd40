import { applicableDeployments, deploymentDesired, mergeModulesContent, validateConfiguration, type StoredConfiguration } from '../../../sandbox/hub/configurations.js';
import type { JsonObject } from '../../../sandbox/hub/json.js';
import type { TargetView } from '../../../sandbox/hub/target-condition.js';

let sequence = 0;
function config(id: string, priority: number, targetCondition: string, modulesContent: Record<string, JsonObject>): StoredConfiguration {
  sequence += 1;
  return {
    ...validateConfiguration(id, { id, priority, targetCondition, content: { modulesContent } }),
    createdTimeUtc: '2026-01-01T00:00:00Z',
    lastUpdatedTimeUtc: '2026-01-01T00:00:00Z',
    etag: 'e',
    sequence,
  };
}

const agent = (modules: JsonObject): JsonObject => ({
  'properties.desired': { schemaVersion: '1.1', runtime: { type: 'docker' }, systemModules: {}, modules },
});
const view: TargetView = { deviceId: 'edge-1', tags: { env: 'prod', ring: 1 }, iotEdge: true, reported: {} };

describe('deployment merge', () => {
  test('the highest-priority base applies and layered deployments patch it by path, higher priority last', () => {
    const low = config('base-low', 1, "tags.env='prod'", { $edgeAgent: agent({ old: { type: 'docker' } }) });
    const high = config('base-high', 10, "tags.env='prod'", {
      $edgeAgent: agent({ web: { type: 'docker', settings: { image: 'web:1' } } }),
      $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: { all: 'FROM /* INTO $upstream' } } },
    });
    const layerA = config('layer-a', 20, 'tags.ring=1', {
      $edgeAgent: { 'properties.desired.modules.web.settings.image': 'web:2', 'properties.desired.modules.sensor': { type: 'docker' } },
      $edgeHub: { 'properties.desired.routes.sensor': 'FROM /messages/modules/sensor/* INTO $upstream' },
    });
    const layerB = config('layer-b', 30, "deviceId='edge-1'", { $edgeAgent: { 'properties.desired.modules.web.settings.image': 'web:3' } });
    const untargeted = config('other', 99, "tags.env='dev'", { $edgeAgent: agent({}) });

    const all = [layerB, untargeted, low, layerA, high];
    expect(applicableDeployments(all, view).map((c) => c.id)).toEqual(['base-high', 'layer-a', 'layer-b']);
    const desired = deploymentDesired(all, view, () => ({}))!;
    expect(desired.get('$edgeAgent')).toEqual({
      schemaVersion: '1.1',
      runtime: { type: 'docker' },
      systemModules: {},
      modules: { web: { type: 'docker', settings: { image: 'web:3' } }, sensor: { type: 'docker' } },
    });
    expect(desired.get('$edgeHub')).toEqual({
      schemaVersion: '1.1',
      routes: { all: 'FROM /* INTO $upstream', sensor: 'FROM /messages/modules/sensor/* INTO $upstream' },
    });
  });

  test('on equal priority the most recently created base wins', () => {
    const first = config('first', 5, '*', { $edgeAgent: agent({ a: {} }) });
    const second = config('second', 5, '*', { $edgeAgent: agent({ b: {} }) });
    expect(applicableDeployments([second, first], view)[0]!.id).toBe('second');
  });

  test('no deployment targeting the device yields nothing to apply', () => {
    expect(deploymentDesired([config('x', 1, "tags.env='dev'", { $edgeAgent: agent({}) })], view, () => ({}))).toBeUndefined();
  });

  test('a layered deployment without a base patches the current desired document', () => {
    const merged = mergeModulesContent([{ $edgeAgent: { 'properties.desired.modules.x.status': 'stopped' } }], () => ({ modules: { x: { status: 'running', type: 'docker' } } }));
    expect(merged.get('$edgeAgent')).toEqual({ modules: { x: { status: 'stopped', type: 'docker' } } });
  });

  test('validation rejects bad ids, priorities, conditions and content keys', () => {
    expect(() => validateConfiguration('Upper', { content: { modulesContent: {} } })).toThrow('lowercase');
    expect(() => validateConfiguration('ok', { priority: -1, content: { modulesContent: {} } })).toThrow('non-negative integer');
    expect(() => validateConfiguration('ok', { targetCondition: "tags.a='x", content: { modulesContent: {} } })).toThrow('unterminated string');
    expect(() => validateConfiguration('ok', { content: { modulesContent: { m: { desired: {} } } } })).toThrow("'desired' must be 'properties.desired'");
  });
});
