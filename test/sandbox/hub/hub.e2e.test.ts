/**
 * End-to-end: the unmodified azure-iot-device(-mqtt) and azure-iothub SDKs against the emulator.
 * The service API needs port 443 on 127.0.0.31; if it cannot be bound, beforeAll fails and with it
 * every test here (never a silent skip).
 */
import { request as httpsRequest } from 'node:https';
import { ModuleClient, SharedAccessSignatureAuthenticationProvider, type Twin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import type { Client, Registry } from 'azure-iothub';
import { createSas, startHubEmulator, type HubEmulator } from '../../../sandbox/hub/index.js';
import { collectDesired, openModule, report, serviceClient, serviceRegistry, waitFor } from './support.js';

let hub: HubEmulator;
let registry: Registry;
let service: Client;
let agent: ModuleClient;
let agentTwin: Twin;
let agentPatches: Record<string, unknown>[];
const DEVICE = 'edge-e2e';

beforeAll(async () => {
  hub = await startHubEmulator({ serviceHost: '127.0.0.31', seedEdgeDevice: DEVICE });
  registry = serviceRegistry(hub);
  service = serviceClient(hub);
  agent = await openModule(hub.edgeAgentConnectionString, hub.caPem);
  agentTwin = await agent.getTwin();
  agentPatches = collectDesired(agentTwin);
}, 20_000);

afterAll(async () => {
  await agent?.close();
  await hub?.stop();
});

const lastPatch = (): Record<string, unknown> | undefined => agentPatches[agentPatches.length - 1];

describe('device side with the real ModuleClient (Mqtt)', () => {
  test('gets its twin and reports properties; the service sees them with a new $version', async () => {
    expect(agentTwin.properties.desired.$version).toBe(1);
    await report(agentTwin, { lastDesiredVersion: 1, runtime: { platform: { os: 'linux' } }, obsolete: true });
    await report(agentTwin, { obsolete: null });
    const twin = (await registry.getModuleTwin(DEVICE, '$edgeAgent')).responseBody;
    expect(twin.properties.reported).toMatchObject({ lastDesiredVersion: 1, runtime: { platform: { os: 'linux' } }, $version: 3 });
    expect(twin.properties.reported).not.toHaveProperty('obsolete');
  });

  test('invalid reported patches are refused with an error, not a crash', async () => {
    await expect(report(agentTwin, { 'bad.key': 1 })).rejects.toThrow("invalid property name 'bad.key'");
    await expect(report(agentTwin, { big: 'x'.repeat(33 * 1024) })).rejects.toThrow('limit is 32768');
    const twin = (await registry.getModuleTwin(DEVICE, '$edgeAgent')).responseBody;
    expect(twin.properties.reported).not.toHaveProperty('big');
  });

  test('receives a desired patch pushed by a Registry twin update', async () => {
    const before = agentPatches.length;
    const { responseBody: twin } = await registry.getModuleTwin(DEVICE, '$edgeAgent');
    await registry.updateModuleTwin(DEVICE, '$edgeAgent', { properties: { desired: { setting: { a: 1 } } } }, twin.etag);
    const patch = await waitFor('desired patch', () => (agentPatches.length > before ? lastPatch() : undefined));
    expect(patch).toEqual({ setting: { a: 1 }, $version: twin.properties.desired.$version + 1 });
    expect(agentTwin.properties.desired.setting).toEqual({ a: 1 });
    await expect(registry.updateModuleTwin(DEVICE, '$edgeAgent', { properties: { desired: { x: 1 } } }, twin.etag)).rejects.toThrow(/etag/i);
  });

  test('receives the deployment pushed by applyConfigurationContent', async () => {
    const before = agentPatches.length;
    const content = {
      modulesContent: {
        $edgeAgent: { 'properties.desired': { schemaVersion: '1.1', runtime: { type: 'docker', settings: {} }, systemModules: {}, modules: { web: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'nginx:1.27' } } } } },
        $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: {}, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
      },
    };
    await registry.applyConfigurationContentOnDevice(DEVICE, content);
    const patch = await waitFor('deployment patch', () => agentPatches.slice(before).find((p) => 'modules' in p));
    expect(patch).toMatchObject({ schemaVersion: '1.1', modules: { web: { settings: { image: 'nginx:1.27' } } }, setting: null });
    expect(agentTwin.properties.desired.modules.web.settings.image).toBe('nginx:1.27');
    const hubTwin = (await registry.getModuleTwin(DEVICE, '$edgeHub')).responseBody;
    expect(hubTwin.properties.desired.storeAndForwardConfiguration).toEqual({ timeToLiveSecs: 7200 });
  });

  test('answers a direct method invoked through the service Client; 404 when not connected', async () => {
    agent.onMethod('ping', (request, response) => {
      void response?.send(200, { echo: request?.payload });
    });
    await waitFor('methods subscription', async () => {
      try {
        return (await service.invokeDeviceMethod(DEVICE, '$edgeAgent', { methodName: 'ping', payload: { n: 1 }, responseTimeoutInSeconds: 5 })).result;
      } catch {
        return undefined;
      }
    });
    // Another module of the same device, also listening for 'ping', answers its own calls only.
    const neighbour = await openModule(hub.connectionString(DEVICE, '$edgeHub'), hub.caPem);
    const seenByNeighbour: unknown[] = [];
    neighbour.onMethod('ping', (request, response) => {
      seenByNeighbour.push(request?.payload);
      void response?.send(299, 'neighbour');
    });
    const own = await waitFor('neighbour methods subscription', async () => {
      try {
        return (await service.invokeDeviceMethod(DEVICE, '$edgeHub', { methodName: 'ping', payload: 'for-neighbour', responseTimeoutInSeconds: 5 })).result;
      } catch {
        return undefined;
      }
    });
    expect(own).toEqual({ status: 299, payload: 'neighbour' });
    const seen = seenByNeighbour.length;
    const { result } = await service.invokeDeviceMethod(DEVICE, '$edgeAgent', { methodName: 'ping', payload: { n: 2 }, responseTimeoutInSeconds: 5 });
    expect(result).toEqual({ status: 200, payload: { echo: { n: 2 } } });
    await new Promise((r) => setTimeout(r, 100));
    expect(seenByNeighbour.slice(seen)).toEqual([]);
    await neighbour.close();
    await waitFor('neighbour disconnected', async () => (((await registry.getModule(DEVICE, '$edgeHub')).responseBody.connectionState as string) === 'Disconnected' ? true : undefined));
    const offline = await service.invokeDeviceMethod(DEVICE, '$edgeHub', { methodName: 'ping', payload: null }).then(
      () => undefined,
      (err: { response?: { statusCode?: number }; responseBody?: string }) => err,
    );
    expect(offline?.response?.statusCode).toBe(404);
    expect(offline?.responseBody).toContain('ErrorCode:DeviceNotOnline');
    await expect(service.invokeDeviceMethod(DEVICE, '$edgeAgent', { methodName: 'big', payload: 'x'.repeat(129 * 1024) })).rejects.toThrow('limit is 131072');
  });

  test('a method the module never answers times out with 504', async () => {
    agent.onMethod('silent', () => undefined);
    const started = Date.now();
    await expect(service.invokeDeviceMethod(DEVICE, '$edgeAgent', { methodName: 'silent', payload: null, responseTimeoutInSeconds: 5 })).rejects.toMatchObject({
      name: 'GatewayTimeoutError',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
  }, 15_000);

  test('telemetry is kept for inspection', async () => {
    const { Message } = await import('azure-iot-device');
    const message = new Message(JSON.stringify({ temperature: 21.5 }));
    message.properties.add('kind', 'reading');
    await agent.sendOutputEvent('out1', message);
    const kept = await waitFor('telemetry', () => hub.telemetry(DEVICE, '$edgeAgent').at(-1));
    expect(JSON.parse(kept.body)).toEqual({ temperature: 21.5 });
    expect(kept.properties).toMatchObject({ kind: 'reading', '$.on': 'out1' });
  });
});

describe('authentication', () => {
  test('a wrong key is refused (CONNACK not authorized)', async () => {
    const bad = hub.connectionString(DEVICE, '$edgeHub').replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.alloc(32, 7).toString('base64')}`);
    const client = ModuleClient.fromConnectionString(bad, Mqtt);
    await client.setOptions({ ca: hub.caPem });
    await expect(client.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
  });

  test('an expired token is refused and a valid one for the same identity is accepted', async () => {
    const key = hub.registry.getModule(DEVICE, '$edgeHub').keys.primaryKey;
    const resource = `${hub.hostName}/devices/${DEVICE}/modules/$edgeHub`;
    // fromSharedAccessSignature cannot carry a GatewayHostName, so build the SDK's own SAS provider with one.
    const connect = async (se: number): Promise<ModuleClient> => {
      const provider = new SharedAccessSignatureAuthenticationProvider({
        host: hub.hostName,
        deviceId: DEVICE,
        moduleId: '$edgeHub',
        gatewayHostName: `127.0.0.1:${hub.mqttPort}`,
        sharedAccessSignature: createSas(resource, key, se),
      });
      const client = ModuleClient.fromAuthenticationProvider(provider, Mqtt);
      await client.setOptions({ ca: hub.caPem });
      return client;
    };
    const expired = await connect(Math.floor(Date.now() / 1000) - 60);
    await expect(expired.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
    const valid = await connect(Math.floor(Date.now() / 1000) + 600);
    await valid.open();
    await valid.close();
  });

  test('the service API refuses a token signed with a wrong policy key', async () => {
    const forged = hub.serviceConnectionString.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.alloc(32, 1).toString('base64')}`);
    const { Registry } = await import('azure-iothub');
    const { trustHubCa } = await import('../../../sandbox/hub/index.js');
    await expect(trustHubCa(Registry.fromConnectionString(forged), hub.caPem).get(DEVICE)).rejects.toMatchObject({ name: 'UnauthorizedError' });
  });
});

describe('faults and recovery', () => {
  test('a dropped connection is recovered by the SDK and the twin catches up', async () => {
    let reconnects = 0;
    agent.on('connect', () => (reconnects += 1));
    expect(hub.faults.dropConnection(DEVICE, '$edgeAgent')).toBe(true);
    await waitFor('the hub to see the disconnection', async () => (((await registry.getModule(DEVICE, '$edgeAgent')).responseBody.connectionState as string) === 'Disconnected' ? true : undefined));
    const { responseBody: twin } = await registry.getModuleTwin(DEVICE, '$edgeAgent');
    await registry.updateModuleTwin(DEVICE, '$edgeAgent', { properties: { desired: { whileAway: 'changed' } } }, '*');
    await waitFor('the SDK to reconnect by itself', () => (reconnects > 0 ? true : undefined), 20_000);
    const fresh = await agent.getTwin();
    expect(fresh.properties.desired.whileAway).toBe('changed');
    expect(fresh.properties.desired.$version).toBe(twin.properties.desired.$version + 1);
    const before = agentPatches.length;
    await registry.updateModuleTwin(DEVICE, '$edgeAgent', { properties: { desired: { afterReconnect: true } } }, '*');
    const patch = await waitFor('desired patch after reconnect', () => agentPatches.slice(before).find((p) => 'afterReconnect' in p));
    expect(patch.$version).toBe(twin.properties.desired.$version + 2);
  }, 30_000);

  test('delayed and refused twin responses', async () => {
    hub.faults.delayTwinResponses(400);
    const started = Date.now();
    await agent.getTwin();
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    hub.faults.clear();
    hub.faults.refuseTwinRequests(400);
    await expect(report(agentTwin, { refused: true })).rejects.toThrow('refused by fault injection');
    hub.faults.clear();
    await report(agentTwin, { refused: false });
  });

  test('the service API can be throttled (429)', async () => {
    hub.faults.throttleServiceApi(1);
    await expect(registry.get(DEVICE)).rejects.toMatchObject({ name: 'ThrottlingError' });
    await expect(registry.get(DEVICE)).resolves.toBeDefined();
  });

  test('after a broker restart the SDK reconnects and methods and desired pushes work again', async () => {
    const before = agentPatches.length;
    await hub.faults.restartBroker();
    await waitFor('reconnection after restart', async () => (((await registry.getModule(DEVICE, '$edgeAgent')).responseBody.connectionState as string) === 'Connected' ? true : undefined), 20_000);
    await registry.updateModuleTwin(DEVICE, '$edgeAgent', { properties: { desired: { afterRestart: 1 } } }, '*');
    await waitFor('desired patch after restart', () => agentPatches.slice(before).find((p) => 'afterRestart' in p));
    const { result } = await service.invokeDeviceMethod(DEVICE, '$edgeAgent', { methodName: 'ping', payload: 'r', responseTimeoutInSeconds: 5 });
    expect(result).toEqual({ status: 200, payload: { echo: 'r' } });
  }, 30_000);
});

describe('registry and layered deployments through azure-iothub', () => {
  const SITE = 'edge-layered';

  afterAll(async () => {
    for (const id of ['base-prod', 'layer-sensor', 'layer-override']) await registry.removeConfiguration(id).catch(() => undefined);
    await registry.delete(SITE).catch(() => undefined);
  });

  test('devices and modules: create with generated keys, get, list, delete', async () => {
    const created = (await registry.create({ deviceId: SITE, capabilities: { iotEdge: true } } as never)).responseBody;
    expect(created.authentication?.symmetricKey?.primaryKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect((await registry.list()).responseBody.map((d) => d.deviceId)).toEqual(expect.arrayContaining([DEVICE, SITE]));
    const modules = (await registry.getModulesOnDevice(SITE)).responseBody.map((m) => m.moduleId).sort();
    expect(modules).toEqual(['$edgeAgent', '$edgeHub']);
    await registry.addModule({ deviceId: SITE, moduleId: 'sensor', managedBy: 'IotEdge' } as never);
    expect((await registry.getModule(SITE, 'sensor')).responseBody.managedBy).toBe('IotEdge');
    await expect(registry.addModule({ deviceId: SITE, moduleId: 'sensor' } as never)).rejects.toMatchObject({ name: 'DeviceAlreadyExistsError' });
    await registry.removeModule(SITE, 'sensor');
    await expect(registry.getModule(SITE, 'sensor')).rejects.toThrow();
    await expect(registry.get('no-such-device')).rejects.toMatchObject({ name: 'DeviceNotFoundError' });
  });

  test('a base and layered deployments are merged into $edgeAgent and $edgeHub desired properties', async () => {
    const site = await openModule(hub.connectionString(SITE, '$edgeAgent'), hub.caPem);
    try {
      const twin = await site.getTwin();
      const patches = collectDesired(twin);
      const { responseBody: deviceTwin } = await registry.getTwin(SITE);
      await registry.updateTwin(SITE, { tags: { env: 'prod', sensors: 'yes' } }, deviceTwin.etag);
      await registry.addConfiguration({
        id: 'base-prod',
        schemaVersion: '1.0',
        priority: 10,
        targetCondition: "tags.env='prod'",
        labels: {},
        content: {
          modulesContent: {
            $edgeAgent: { 'properties.desired': { schemaVersion: '1.1', runtime: { type: 'docker', settings: {} }, systemModules: {}, modules: { web: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'web:1' } } } } },
            $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: { up: 'FROM /messages/* INTO $upstream' }, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
          },
        },
      } as never);
      await registry.addConfiguration({
        id: 'layer-sensor',
        schemaVersion: '1.0',
        priority: 20,
        targetCondition: "tags.env='prod' AND tags.sensors='yes'",
        labels: {},
        content: {
          modulesContent: {
            $edgeAgent: { 'properties.desired.modules.sensor': { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'sensor:1' } } },
            $edgeHub: { 'properties.desired.routes.sensor': 'FROM /messages/modules/sensor/* INTO $upstream' },
          },
        },
      } as never);
      await registry.addConfiguration({
        id: 'layer-override',
        schemaVersion: '1.0',
        priority: 30,
        targetCondition: `deviceId='${SITE}' OR tags.env='staging'`,
        labels: {},
        content: { modulesContent: { $edgeAgent: { 'properties.desired.modules.web.settings.image': 'web:2' } } },
      } as never);
      const expectedModules = {
        web: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'web:2' } },
        sensor: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'sensor:1' } },
      };
      const agentTwin = (await registry.getModuleTwin(SITE, '$edgeAgent')).responseBody;
      expect(agentTwin.properties.desired.modules).toEqual(expectedModules);
      const hubTwin = (await registry.getModuleTwin(SITE, '$edgeHub')).responseBody;
      expect(hubTwin.properties.desired.routes).toEqual({ up: 'FROM /messages/* INTO $upstream', sensor: 'FROM /messages/modules/sensor/* INTO $upstream' });
      await waitFor('merged deployment on the device', () => (twin.properties.desired.modules?.web?.settings?.image === 'web:2' && twin.properties.desired.modules?.sensor ? true : undefined));
      expect(twin.properties.desired.$version).toBe(agentTwin.properties.desired.$version);
      expect(patches.length).toBeGreaterThan(0);

      const config = (await registry.getConfiguration('layer-sensor')).responseBody;
      expect(config.systemMetrics?.results).toEqual({ targetedCount: 1, appliedCount: 1, reportedSuccessfulCount: 0, reportedFailedCount: 0 });
      // Dropping the tag removes the sensor layer; the base and the other layer still apply.
      await registry.updateTwin(SITE, { tags: { sensors: null } }, '*');
      await waitFor('sensor layer removed on the device', () => (twin.properties.desired.modules?.sensor === undefined ? true : undefined));
      expect(twin.properties.desired.modules.web.settings.image).toBe('web:2');
      // Lowering the override below the base's priority does not matter: layers always apply on top of the base.
      await registry.updateConfiguration({ ...(await registry.getConfiguration('layer-override')).responseBody, priority: 5 });
      expect((await registry.getModuleTwin(SITE, '$edgeAgent')).responseBody.properties.desired.modules.web.settings.image).toBe('web:2');
      await registry.removeConfiguration('layer-override');
      await waitFor('override layer removed on the device', () => (twin.properties.desired.modules?.web?.settings?.image === 'web:1' ? true : undefined));
    } finally {
      await site.close();
    }
  }, 20_000);
});

describe('device-scoped module management (as IoT Edge does with the device key)', () => {
  function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? '' : JSON.stringify(body);
      const req = httpsRequest(
        { host: hub.serviceHost, port: 443, method, path: `${path}?api-version=2021-04-12`, ca: hub.caPem, headers: { authorization: token, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  test('an edge device token may create and delete its own modules but nothing else', async () => {
    const deviceKey = hub.registry.getDevice(DEVICE).keys.primaryKey;
    const se = Math.floor(Date.now() / 1000) + 600;
    const token = createSas(`${hub.serviceHost}/devices/${DEVICE}`, deviceKey, se);
    const created = await call('PUT', `/devices/${DEVICE}/modules/worker`, token, { deviceId: DEVICE, moduleId: 'worker', managedBy: 'IotEdge' });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ moduleId: 'worker', managedBy: 'IotEdge', authentication: { type: 'sas' } });
    expect((await call('DELETE', `/devices/${DEVICE}/modules/worker`, token)).status).toBe(204);
    expect((await call('GET', `/devices/${DEVICE}`, token)).status).toBe(401);
    expect((await call('GET', '/devices/other/modules', token)).status).toBe(401);
    const expired = createSas(`${hub.serviceHost}/devices/${DEVICE}`, deviceKey, Math.floor(Date.now() / 1000) - 1);
    expect((await call('GET', `/devices/${DEVICE}/modules`, expired)).json).toMatchObject({ Message: 'ErrorCode:IotHubUnauthorizedAccess;unauthorized: token expired' });
  });
});

describe('service API input handling', () => {
  test('malformed requests get IoT Hub style 4xx errors', async () => {
    const token = createSas(hub.serviceHost, hub.registry.policyKey, Math.floor(Date.now() / 1000) + 600, 'iothubowner');
    const send = (method: string, path: string, body?: string): Promise<{ status: number; text: string }> =>
      new Promise((resolve, reject) => {
        const req = httpsRequest({ host: hub.serviceHost, port: 443, method, path, ca: hub.caPem, headers: { authorization: token, 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    expect(await send('GET', `/devices/${DEVICE}`)).toMatchObject({ status: 400, text: expect.stringContaining('api-version') });
    expect(await send('PUT', '/devices/x?api-version=2021-04-12', '{ nope')).toMatchObject({ status: 400, text: expect.stringContaining('not valid JSON') });
    expect(await send('GET', '/devices/%E0%A4%A?api-version=2021-04-12')).toMatchObject({ status: 400, text: expect.stringContaining('malformed percent-encoding') });
    expect(await send('POST', `/devices/${DEVICE}?api-version=2021-04-12`, '{}')).toMatchObject({ status: 405 });
    expect(await send('PUT', '/configurations/Bad?api-version=2021-04-12', '{"content":{"modulesContent":{}}}')).toMatchObject({ status: 400, text: expect.stringContaining('lowercase') });
  });
});
