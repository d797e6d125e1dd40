/**
 * Twin queries and configuration metrics through the real azure-iothub Registry against the
 * emulator (service API on 127.0.0.162:443; run inside a network namespace).
 */
import type { Registry } from 'azure-iothub';
import { startHubEmulator, type HubEmulator } from '../../../sandbox/hub/index.js';
import { openModule, report, serviceRegistry } from './support.js';

let hub: HubEmulator;
let registry: Registry;

beforeAll(async () => {
  hub = await startHubEmulator({ serviceHost: '127.0.0.162', seedEdgeDevice: 'edge-a' });
  registry = serviceRegistry(hub);
  for (const id of ['edge-b', 'edge-c', 'edge-d', 'edge-e']) hub.registry.createDevice(id, { iotEdge: true });
  hub.registry.createDevice('leaf-1');
  const tags: Record<string, Record<string, unknown>> = {
    'edge-a': { env: 'prod', floor: 1 },
    'edge-b': { env: 'prod', floor: 2 },
    'edge-c': { env: 'prod', floor: 3 },
    'edge-d': { env: 'dev', floor: 4 },
    'leaf-1': { env: 'prod' },
  };
  for (const [id, t] of Object.entries(tags)) await registry.updateTwin(id, { tags: t }, '*');
});

afterAll(async () => {
  await hub?.stop();
});

/** Runs a query to the end, page by page, returning the pages (as twins). */
async function allPages(sql: string, pageSize?: number): Promise<Record<string, unknown>[][]> {
  const query = registry.createQuery(sql, pageSize);
  const pages: Record<string, unknown>[][] = [];
  while (query.hasMoreResults) {
    const { result } = await query.nextAsTwin();
    pages.push(result.map((t) => t.toJSON() as unknown as Record<string, unknown>));
    if (pages.length > 20) throw new Error('query does not end');
  }
  return pages;
}

const ids = (pages: Record<string, unknown>[][]): string[] => pages.flat().map((t) => String(t.deviceId));

describe('twin queries through Registry.createQuery', () => {
  test('pages of the requested size, in device order, until the continuation token runs out', async () => {
    const pages = await allPages("SELECT * FROM devices WHERE tags.env = 'prod'", 2);
    expect(pages.map((p) => p.length)).toEqual([2, 2]);
    expect(ids(pages)).toEqual(['edge-a', 'edge-b', 'edge-c', 'leaf-1']);
    expect(pages[0]![0]).toMatchObject({ deviceId: 'edge-a', tags: { env: 'prod', floor: 1 }, capabilities: { iotEdge: true } });
    expect((await allPages('SELECT * FROM devices', 4)).map((p) => p.length)).toEqual([4, 2]);
    expect(ids(await allPages('SELECT * FROM devices'))).toEqual(['edge-a', 'edge-b', 'edge-c', 'edge-d', 'edge-e', 'leaf-1']);
  });

  test.each([
    ["SELECT * FROM devices WHERE tags.env = 'prod' AND capabilities.iotEdge = true", ['edge-a', 'edge-b', 'edge-c']],
    ['SELECT * FROM devices WHERE capabilities.iotEdge = false', ['leaf-1']],
    ["SELECT * FROM devices WHERE tags.env <> 'prod'", ['edge-d']],
    ["select * from devices where not tags.env = 'prod'", ['edge-d', 'edge-e']],
    ['SELECT * FROM devices WHERE tags.floor > 1 AND tags.floor < 4', ['edge-b', 'edge-c']],
    ['SELECT * FROM devices WHERE tags.floor >= 4 OR NOT IS_DEFINED(tags.env)', ['edge-d', 'edge-e']],
    ["SELECT * FROM devices WHERE deviceId = 'edge-c' OR deviceId = 'leaf-1'", ['edge-c', 'leaf-1']],
  ])('%s', async (sql, expected) => {
    expect(ids(await allPages(sql))).toEqual(expected);
  });

  test("$edgeAgent module twins with conditions on reported and desired properties", async () => {
    const agent = await openModule(hub.connectionString('edge-b', '$edgeAgent'), hub.caPem);
    try {
      const twin = await agent.getTwin();
      await report(twin, { lastDesiredVersion: 1, lastDesiredStatus: { code: 200 } });
    } finally {
      await agent.close();
    }
    hub.registry.patchReported('edge-c', '$edgeAgent', { lastDesiredVersion: 1, lastDesiredStatus: { code: 400, description: 'bad manifest' } });
    hub.registry.patchDesired('edge-d', '$edgeAgent', { schemaVersion: '1.1' });

    const modules = await allPages("SELECT * FROM devices.modules WHERE moduleId = '$edgeAgent'", 3);
    expect(modules.map((p) => p.length)).toEqual([3, 2]);
    expect(ids(modules)).toEqual(['edge-a', 'edge-b', 'edge-c', 'edge-d', 'edge-e']);
    expect(modules[0]![1]).toMatchObject({ deviceId: 'edge-b', moduleId: '$edgeAgent', properties: { reported: { lastDesiredStatus: { code: 200 } } } });

    const where = (cond: string) => allPages(`SELECT * FROM devices.modules WHERE moduleId = '$edgeAgent' AND ${cond}`).then(ids);
    expect(await where('properties.reported.lastDesiredStatus.code = 200')).toEqual(['edge-b']);
    expect(await where('properties.reported.lastDesiredStatus.code != 200')).toEqual(['edge-c']);
    expect(await where('IS_DEFINED(properties.reported.lastDesiredStatus)')).toEqual(['edge-b', 'edge-c']);
    expect(await where("properties.desired.schemaVersion = '1.1'")).toEqual(['edge-d']);
    expect(await where('properties.desired.$version = properties.reported.lastDesiredVersion')).toEqual(['edge-b', 'edge-c']);
    expect(ids(await allPages("SELECT * FROM devices.modules WHERE deviceId = 'edge-a'"))).toEqual(['edge-a', 'edge-a']);
  });

  test('a projection returns the named fields only', async () => {
    const { result } = await registry.createQuery("SELECT deviceId, tags.floor FROM devices WHERE tags.env = 'dev'").next();
    expect(result).toEqual([{ deviceId: 'edge-d', floor: 4 }]);
  });

  test('a malformed query or page size is a 400 that names the problem', async () => {
    await expect(registry.createQuery("SELECT * FROM devices WHERE tags.env = 'prod").nextAsTwin()).rejects.toThrow(/unterminated string/);
    await expect(registry.createQuery('SELECT * FROM jobs').nextAsTwin()).rejects.toThrow(/FROM jobs is not supported/);
    await expect(registry.createQuery('SELECT * FROM devices', 20_000).nextAsTwin()).rejects.toThrow(/x-ms-max-item-count/);
  });
});

describe('configuration system metrics', () => {
  const base = (image: string) => ({
    $edgeAgent: { 'properties.desired': { schemaVersion: '1.1', runtime: { type: 'docker', settings: {} }, systemModules: {}, modules: { web: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image } } } } },
  });

  test('targeted, applied, reportedSuccessful and reportedFailed follow the agents’ reports', async () => {
    await registry.addConfiguration({ id: 'prod-base', schemaVersion: '1.0', priority: 10, targetCondition: "tags.env='prod'", labels: {}, content: { modulesContent: base('web:1') } } as never);
    await registry.addConfiguration({ id: 'floor3-base', schemaVersion: '1.0', priority: 20, targetCondition: 'tags.floor=3', labels: {}, content: { modulesContent: base('web:3') } } as never);
    await registry.addConfiguration({
      id: 'prod-layer',
      schemaVersion: '1.0',
      priority: 1,
      targetCondition: "tags.env='prod'",
      labels: {},
      metrics: {
        queries: {
          agentsOk: "SELECT deviceId FROM devices.modules WHERE moduleId = '$edgeAgent' AND properties.reported.lastDesiredStatus.code = 200",
          applied: "SELECT deviceId FROM devices.modules WHERE moduleId = '$edgeAgent' AND configurations.[[prod-layer]].status = 'Applied'",
        },
      },
      content: { modulesContent: { $edgeAgent: { 'properties.desired.modules.sensor': { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'sensor:1' } } } } },
    } as never);
    const metrics = async (id: string) => (await registry.getConfiguration(id)).responseBody.systemMetrics?.results;
    // leaf-1 is prod but no IoT Edge device; edge-c is taken by the higher-priority floor3-base.
    expect(await metrics('prod-base')).toEqual({ targetedCount: 3, appliedCount: 2, reportedSuccessfulCount: 0, reportedFailedCount: 0 });
    expect(await metrics('prod-layer')).toEqual({ targetedCount: 3, appliedCount: 3, reportedSuccessfulCount: 0, reportedFailedCount: 0 });

    const agentVersion = (id: string) => hub.registry.getModule(id, '$edgeAgent').twin.desiredVersion;
    hub.registry.patchReported('edge-a', '$edgeAgent', { lastDesiredVersion: agentVersion('edge-a'), lastDesiredStatus: { code: 200 } });
    hub.registry.patchReported('edge-b', '$edgeAgent', { lastDesiredVersion: agentVersion('edge-b'), lastDesiredStatus: { code: 400 } });
    // edge-c answers an older desired version: counted nowhere yet.
    hub.registry.patchReported('edge-c', '$edgeAgent', { lastDesiredVersion: agentVersion('edge-c') - 1, lastDesiredStatus: { code: 200 } });
    expect(await metrics('prod-base')).toEqual({ targetedCount: 3, appliedCount: 2, reportedSuccessfulCount: 1, reportedFailedCount: 1 });
    expect(await metrics('prod-layer')).toEqual({ targetedCount: 3, appliedCount: 3, reportedSuccessfulCount: 1, reportedFailedCount: 1 });
    expect(await metrics('floor3-base')).toEqual({ targetedCount: 1, appliedCount: 1, reportedSuccessfulCount: 0, reportedFailedCount: 0 });
    hub.registry.patchReported('edge-c', '$edgeAgent', { lastDesiredVersion: agentVersion('edge-c'), lastDesiredStatus: { code: 200 } });
    expect(await metrics('floor3-base')).toEqual({ targetedCount: 1, appliedCount: 1, reportedSuccessfulCount: 1, reportedFailedCount: 0 });

    const listed = (await registry.getConfigurations()).responseBody.find((c) => c.id === 'prod-layer');
    expect(listed?.systemMetrics?.results).toEqual({ targetedCount: 3, appliedCount: 3, reportedSuccessfulCount: 2, reportedFailedCount: 1 });
    expect(listed?.systemMetrics?.queries?.reportedSuccessfulCount).toContain('lastDesiredStatus.code = 200');
    // Custom metrics: the query the endpoint understands is counted; the one it does not gets no result.
    expect(listed?.metrics).toEqual({ queries: expect.objectContaining({ agentsOk: expect.any(String) }), results: { agentsOk: 2 } });
  });
});
