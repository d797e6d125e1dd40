/**
 * The MQTT gateway against a raw MQTT client: what the SDKs never send (foreign topics, wills,
 * malformed payloads, mismatched usernames) must be refused or contained. Port 443 on 127.0.0.33.
 */
import { createSas, startHubEmulator, type HubEmulator } from '../../../sandbox/hub/index.js';
import { RawMqtt } from './raw-mqtt.js';

let hub: HubEmulator;
const opened: RawMqtt[] = [];
const DEVICE = 'edge-raw';

beforeAll(async () => {
  hub = await startHubEmulator({ serviceHost: '127.0.0.33', seedEdgeDevice: DEVICE });
  hub.registry.createDevice('plain');
}, 20_000);
afterEach(() => {
  for (const client of opened.splice(0)) client.end();
});
afterAll(async () => {
  await hub?.stop();
});

function credentials(moduleId: string | undefined, usernameClientId?: string): { clientId: string; username: string; password: string } {
  const clientId = moduleId === undefined ? DEVICE : `${DEVICE}/${moduleId}`;
  const identity = hub.registry.identity(DEVICE, moduleId);
  const resource = `${hub.hostName}/devices/${DEVICE}${moduleId === undefined ? '' : `/modules/${moduleId}`}`;
  return {
    clientId,
    username: `${hub.hostName}/${usernameClientId ?? clientId}/?api-version=2021-04-12`,
    password: createSas(resource, identity.keys.primaryKey, Math.floor(Date.now() / 1000) + 600),
  };
}

async function open(): Promise<RawMqtt> {
  const client = await RawMqtt.open(hub.mqttPort, hub.caPem);
  opened.push(client);
  return client;
}

describe('MQTT gateway with a raw client', () => {
  test('a username naming another client id is refused with CONNACK 5', async () => {
    const client = await open();
    expect(await client.connect(credentials('$edgeAgent', `${DEVICE}/$edgeHub`))).toBe(5);
  });

  test("a token for one module cannot connect as another module", async () => {
    const client = await open();
    const { password } = credentials('$edgeAgent');
    expect(await client.connect({ ...credentials('$edgeHub'), password })).toBe(5);
  });

  test('a disabled device and its modules are refused', async () => {
    const etag = hub.registry.getDevice('plain').etag;
    const key = hub.registry.getDevice('plain').keys.primaryKey;
    const login = { clientId: 'plain', username: `${hub.hostName}/plain/?api-version=2021-04-12`, password: createSas(`${hub.hostName}/devices/plain`, key, Math.floor(Date.now() / 1000) + 600) };
    const before = await open();
    expect(await before.connect(login)).toBe(0);
    hub.registry.updateDevice('plain', etag, { status: 'disabled' });
    const after = await open();
    expect(await after.connect(login)).toBe(5);
  });

  test('subscriptions are confined to the hub filters and the own inputs', async () => {
    const client = await open();
    expect(await client.connect(credentials('$edgeAgent'))).toBe(0);
    expect(await client.subscribe('$iothub/twin/res/#')).toBe(0);
    expect(await client.subscribe(`devices/${DEVICE}/modules/$edgeAgent/inputs/#`)).toBe(0);
    expect(await client.subscribe(`devices/${DEVICE}/modules/$edgeHub/inputs/#`)).toBe(0x80);
    expect(await client.subscribe('#')).toBe(0x80);
  });

  test('a malformed reported patch gets a 400 twin response and the connection stays usable', async () => {
    const client = await open();
    expect(await client.connect(credentials('$edgeAgent'))).toBe(0);
    await client.subscribe('$iothub/twin/res/#');
    client.publish('$iothub/twin/PATCH/properties/reported/?$rid=bad', '{ not json');
    const bad = RawMqtt.decodePublish(await client.next(3, (p) => RawMqtt.decodePublish(p).topic.includes('$rid=bad')));
    expect(bad.topic).toBe('$iothub/twin/res/400/?$rid=bad');
    expect(JSON.parse(bad.payload)).toEqual({ errorCode: 400004, message: 'reported patch must be a JSON object' });
    client.publish('$iothub/twin/PATCH/properties/reported/?$rid=good', '{"ok":true}');
    const good = RawMqtt.decodePublish(await client.next(3, (p) => RawMqtt.decodePublish(p).topic.includes('$rid=good')));
    expect(good.topic).toMatch(/^\$iothub\/twin\/res\/204\/\?\$rid=good&\$version=\d+$/);
  });

  test("publishing to another identity's topic closes the connection", async () => {
    const client = await open();
    expect(await client.connect(credentials('$edgeAgent'))).toBe(0);
    client.publish(`devices/${DEVICE}/modules/$edgeHub/messages/events/`, 'spoofed');
    await new Promise((r) => setTimeout(r, 300));
    expect(client.closed).toBe(true);
    expect(hub.telemetry(DEVICE, '$edgeHub')).toEqual([]);
  });

  test("a client's will is never delivered to other clients", async () => {
    const listener = await open();
    expect(await listener.connect(credentials('$edgeHub'))).toBe(0);
    expect(await listener.subscribe('$iothub/methods/POST/#')).toBe(0);
    const attacker = await open();
    expect(await attacker.connect({ ...credentials('$edgeAgent'), will: { topic: '$iothub/methods/POST/reboot/?$rid=1', payload: '{}' } })).toBe(0);
    attacker.destroy();
    await new Promise((r) => setTimeout(r, 300));
    expect(listener.publishes()).toEqual([]);
  });

  test('a device (not module) identity connects and sends telemetry with properties', async () => {
    const client = await open();
    expect(await client.connect(credentials(undefined))).toBe(0);
    client.publish(`devices/${DEVICE}/messages/events/kind=probe/`, 'hello');
    await new Promise((r) => setTimeout(r, 200));
    expect(hub.telemetry(DEVICE).map((m) => [m.body, m.properties])).toEqual([['hello', { kind: 'probe' }]]);
  });
});
