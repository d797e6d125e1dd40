/** Device connection strings and device-scoped SAS tokens (pure). */
import { createHmac } from 'node:crypto';
import { ConnectionStringError, deviceSasToken, formatConnectionString, parseConnectionString, parseDeviceConnectionString } from '../../../translator/identities/index.js';

const KEY = Buffer.alloc(32, 3).toString('base64');

test('parses a device connection string, with or without GatewayHostName, and formats it back', () => {
  const text = `HostName=hub.azure-devices.net;DeviceId=dev-1;SharedAccessKey=${KEY}`;
  expect(parseDeviceConnectionString(text)).toEqual({ hostName: 'hub.azure-devices.net', deviceId: 'dev-1', sharedAccessKey: KEY });
  expect(formatConnectionString(parseDeviceConnectionString(`${text};GatewayHostName=127.0.0.1:8883`))).toBe(`${text};GatewayHostName=127.0.0.1:8883`);
  expect(parseConnectionString(`HostName=h;DeviceId=d;ModuleId=$edgeAgent;SharedAccessKey=${KEY}`).moduleId).toBe('$edgeAgent');
});

test.each([
  ['HostName=h;SharedAccessKey=' + KEY, 'has no DeviceId'],
  ['HostName=h;DeviceId=d', 'has no SharedAccessKey'],
  ['HostName=h;DeviceId=d;SharedAccessKey=not base64!', 'not a base64 key'],
  [`HostName=h;DeviceId=d;DeviceId=e;SharedAccessKey=${KEY}`, 'DeviceId twice'],
  [`HostName=h;DeviceId=d;Color=red;SharedAccessKey=${KEY}`, "unknown field 'Color'"],
  [`HostName=h;SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY}`, 'hub policy connection string'],
  [`HostName=h;DeviceId=d;x509=true`, 'X.509'],
  [`HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=${KEY}`, 'names a module'],
])('refuses %s with a message that never contains the key', (text, message) => {
  let error: unknown;
  try {
    parseDeviceConnectionString(text);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConnectionStringError);
  expect((error as Error).message).toContain(message);
  expect((error as Error).message).not.toContain(KEY);
});

test('device SAS token: sr is the lowercased, URL-encoded device resource; HMAC-SHA256 of sr and expiry; no skn', () => {
  const token = deviceSasToken('Hub.azure-devices.net', 'Dev-1', KEY, 1_900_000_000);
  const sr = encodeURIComponent('hub.azure-devices.net/devices/dev-1');
  const sig = createHmac('sha256', Buffer.from(KEY, 'base64')).update(`${sr}\n1900000000`).digest('base64');
  expect(token).toBe(`SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=1900000000`);
});
