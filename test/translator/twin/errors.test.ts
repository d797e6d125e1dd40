/** SDK errors -> typed TwinErrors without secrets. */
import { createRequire } from 'node:module';
import { scrubSecrets, toTwinError, TwinError } from '../../../translator/twin/index.js';

// The error classes the device SDK really throws, from the azure-iot-common that azure-iot-device depends on.
const fromDeviceSdk = createRequire(createRequire(import.meta.url).resolve('azure-iot-device'));
const { errors } = fromDeviceSdk('azure-iot-common') as typeof import('azure-iot-common');

test.each([
  [new errors.UnauthorizedError('Connection refused: Not authorized'), 'unauthorized', false],
  [new errors.NotConnectedError('client disconnected'), 'not-connected', true],
  [new errors.TimeoutError('operation timed out'), 'timeout', true],
  [new errors.ThrottlingError('slow down'), 'throttled', true],
  [new errors.ArgumentError('invalid property name'), 'rejected', false],
  [new errors.InternalServerError('boom'), 'hub-error', true],
  [new Error('connect ECONNREFUSED 127.0.0.1:8883'), 'not-connected', true],
  ['weird', 'unknown', true],
])('%p -> %s', (error, kind, retryable) => {
  const e = toTwinError(error, 'op');
  expect(e).toBeInstanceOf(TwinError);
  expect(e.kind).toBe(kind);
  expect(e.retryable).toBe(retryable);
  expect(e.message.startsWith('op: ')).toBe(true);
});

test('SAS tokens, keys and signatures are scrubbed', () => {
  const text = 'failed with SharedAccessSignature sr=hub%2Fdevices%2Fd&sig=abc%2Bdef&se=123 and HostName=h;DeviceId=d;SharedAccessKey=c2VjcmV0; url ?sig=zzz&se=1';
  const scrubbed = scrubSecrets(text);
  expect(scrubbed).not.toMatch(/abc%2Bdef|c2VjcmV0|zzz/);
  expect(toTwinError(new Error(text), 'op').message).not.toMatch(/abc%2Bdef|c2VjcmV0|zzz/);
});
