/** IoT Hub connection strings: the one strict parser (device, module, hub policy), pure. */
import {
  ConnectionStringError,
  formatConnectionString,
  parseConnectionString,
  parseDeviceConnectionString,
  parseModuleConnectionString,
  parseServiceConnectionString,
  type ConnectionStringProblem,
} from '../../../translator/shared/index.js';
import { connectionStringDevice } from '../../../translator/sources/index.js';
import { TwinSource } from '../../../translator/sources/index.js';
import { TwinError } from '../../../translator/twin/index.js';
import { SILENT_LOGGER } from '../../../translator/ops/index.js';
import * as identities from '../../../translator/identities/index.js';

const KEY = Buffer.alloc(32, 3).toString('base64');

/** The error `parse(text)` throws (undefined when it does not throw). */
function failure(parse: (text: string) => unknown, text: string): ConnectionStringError | undefined {
  try {
    parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectionStringError);
    return e as ConnectionStringError;
  }
  return undefined;
}

test('parses a device connection string, with or without GatewayHostName, and formats it back', () => {
  const text = `HostName=hub.azure-devices.net;DeviceId=dev-1;SharedAccessKey=${KEY}`;
  expect(parseDeviceConnectionString(text)).toEqual({ hostName: 'hub.azure-devices.net', deviceId: 'dev-1', sharedAccessKey: KEY });
  expect(formatConnectionString(parseDeviceConnectionString(`${text};GatewayHostName=127.0.0.1:8883`))).toBe(`${text};GatewayHostName=127.0.0.1:8883`);
  expect(parseConnectionString(`HostName=h;DeviceId=d;ModuleId=$edgeAgent;SharedAccessKey=${KEY}`).moduleId).toBe('$edgeAgent');
});

test('a module connection string needs ModuleId; a service one needs SharedAccessKeyName and no DeviceId', () => {
  expect(parseModuleConnectionString(`HostName=h;DeviceId=d;ModuleId=$edgeAgent;SharedAccessKey=${KEY}`)).toEqual({ hostName: 'h', deviceId: 'd', moduleId: '$edgeAgent', sharedAccessKey: KEY });
  expect(parseServiceConnectionString(`HostName=h;SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY}`)).toEqual({ hostName: 'h', sharedAccessKeyName: 'iothubowner', sharedAccessKey: KEY });
});

test.each<[string, (text: string) => unknown, string, ConnectionStringProblem, string | undefined, string]>([
  ['device', parseDeviceConnectionString, 'HostName=h;SharedAccessKey=' + KEY, 'missing-field', 'DeviceId', 'has no DeviceId'],
  ['device', parseDeviceConnectionString, 'HostName=h;DeviceId=d', 'missing-field', 'SharedAccessKey', 'has no SharedAccessKey'],
  ['device', parseDeviceConnectionString, 'HostName=h;DeviceId=d;SharedAccessKey=not base64!', 'bad-key', 'SharedAccessKey', 'not a base64 key'],
  ['device', parseDeviceConnectionString, 'HostName=h;DeviceId=d;SharedAccessKey=c2VjcmV0', 'bad-key', 'SharedAccessKey', 'at least 16 bytes'],
  ['device', parseDeviceConnectionString, `HostName=h;DeviceId=d;DeviceId=e;SharedAccessKey=${KEY}`, 'repeated-field', 'DeviceId', 'DeviceId twice'],
  ['device', parseDeviceConnectionString, `HostName=;DeviceId=d;SharedAccessKey=${KEY}`, 'empty-field', 'HostName', 'empty HostName'],
  ['device', parseDeviceConnectionString, `HostName=h;DeviceId=d;Color=red;SharedAccessKey=${KEY}`, 'unknown-field', 'Color', "unknown field 'Color'"],
  ['device', parseDeviceConnectionString, `HostName=h;SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY}`, 'wrong-kind', 'SharedAccessKeyName', 'hub policy connection string'],
  ['device', parseDeviceConnectionString, `HostName=h;DeviceId=d;x509=true`, 'x509', 'x509', 'X.509'],
  ['device', parseDeviceConnectionString, `HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=${KEY}`, 'wrong-kind', 'ModuleId', 'names a module'],
  ['module', parseModuleConnectionString, `HostName=h;DeviceId=d;SharedAccessKey=${KEY}`, 'missing-field', 'ModuleId', 'has no ModuleId'],
  ['service', parseServiceConnectionString, `HostName=h;SharedAccessKey=${KEY}`, 'missing-field', 'SharedAccessKeyName', 'has no SharedAccessKeyName'],
  ['service', parseServiceConnectionString, `HostName=h;DeviceId=d;SharedAccessKey=${KEY}`, 'wrong-kind', 'DeviceId', 'is a device connection string'],
  ['service', parseServiceConnectionString, `HostName=h;SharedAccessKeyName=p;SharedAccessKey=${KEY}!`, 'bad-key', 'SharedAccessKey', 'not a base64 key'],
])('%s: refuses %#, typed, naming the field, never the key', (_kind, parse, text, problem, field, message) => {
  const error = failure(parse, text);
  expect(error).toBeDefined();
  expect(error!.problem).toBe(problem);
  expect(error!.field).toBe(field);
  expect(error!.message).toContain(message);
  expect(error!.message).not.toContain(KEY);
  expect(error!.message).not.toContain('c2VjcmV0');
});

test('one parser: identities re-exports it, and the twin source uses it (a device string is refused with its typed message)', () => {
  expect(identities.parseConnectionString).toBe(parseConnectionString);
  expect(identities.ConnectionStringError).toBe(ConnectionStringError);
  expect(connectionStringDevice(`HostName=h;DeviceId=d;ModuleId=$edgeAgent;SharedAccessKey=${KEY}`)).toEqual({ deviceId: 'd', hubHostname: 'h' });
  expect(failure((t) => connectionStringDevice(t), `HostName=h;DeviceId=d;SharedAccessKey=${KEY}`)?.problem).toBe('missing-field');
  let error: unknown;
  try {
    new TwinSource({ connectionString: `HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=${KEY};Oops=${KEY}`, logger: SILENT_LOGGER });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TwinError);
  expect((error as TwinError).kind).toBe('invalid-configuration');
  expect((error as Error).message).toContain("unknown field 'Oops'");
  expect((error as Error).message).not.toContain(KEY);
});
