import { classifyPublish, maySubscribe, parseClientId, twinResponseTopic } from '../../../sandbox/hub/topics.js';

const mod = { deviceId: 'd1', moduleId: 'm1' };

describe('IoT Hub MQTT topics', () => {
  test('classifies a module client publishes', () => {
    expect(classifyPublish(mod, '$iothub/twin/GET/?$rid=42')).toEqual({ kind: 'twinGet', rid: '42' });
    expect(classifyPublish(mod, '$iothub/twin/PATCH/properties/reported/?$rid=7')).toEqual({ kind: 'twinPatchReported', rid: '7' });
    expect(classifyPublish(mod, '$iothub/methods/res/200/?$rid=a1')).toEqual({ kind: 'methodResponse', rid: 'a1', status: 200 });
    expect(classifyPublish(mod, 'devices/d1/modules/m1/messages/events/%24.ct=application%2Fjson&k=v/')).toEqual({
      kind: 'telemetry',
      properties: { '$.ct': 'application/json', k: 'v' },
    });
  });

  test("forbids other identities' topics and unknown $iothub topics", () => {
    expect(classifyPublish(mod, 'devices/d1/modules/m2/messages/events/')).toEqual({ kind: 'forbidden' });
    expect(classifyPublish(mod, 'devices/d1/messages/events/')).toEqual({ kind: 'forbidden' });
    expect(classifyPublish(mod, '$iothub/twin/PATCH/properties/desired/?$version=3')).toEqual({ kind: 'forbidden' });
    expect(classifyPublish(mod, '$iothub/twin/GET/')).toEqual({ kind: 'forbidden' });
  });

  test('a client may subscribe only to hub filters and its own inbound topics', () => {
    expect(maySubscribe(mod, '$iothub/twin/res/#')).toBe(true);
    expect(maySubscribe(mod, '$iothub/methods/POST/#')).toBe(true);
    expect(maySubscribe(mod, 'devices/d1/modules/m1/inputs/#')).toBe(true);
    expect(maySubscribe(mod, 'devices/d1/modules/m2/inputs/#')).toBe(false);
    expect(maySubscribe(mod, '#')).toBe(false);
    expect(maySubscribe(mod, '$iothub/#')).toBe(false);
    expect(maySubscribe({ deviceId: 'd1' }, 'devices/d1/messages/devicebound/#')).toBe(true);
  });

  test('client ids and response topics', () => {
    expect(parseClientId('d1/$edgeAgent')).toEqual({ deviceId: 'd1', moduleId: '$edgeAgent' });
    expect(parseClientId('a/b/c')).toBeUndefined();
    expect(twinResponseTopic(204, 'r1', 5)).toBe('$iothub/twin/res/204/?$rid=r1&$version=5');
  });
});
