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

describe('a failed first connection is named by its cause, not by the SDK class (always UnauthorizedError)', () => {
  const wrapped = (inner: Error & { code?: string }) => Object.assign(new errors.UnauthorizedError('mqtt.js returned Failure on first connection (Not authorized): ' + inner.message + ' error'), { transportError: inner });
  test.each([
    [Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), 'untrusted-certificate', 'untrusted-certificate', /--ca FILE/],
    [Object.assign(new Error("Hostname/IP does not match certificate's altnames: Host: a. is not in the cert's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 'untrusted-certificate', 'untrusted-certificate', /--ca FILE/],
    [Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:8883'), { code: 'ECONNREFUSED' }), 'connection-refused', 'not-connected', /connection was refused/],
    [Object.assign(new Error('getaddrinfo ENOTFOUND myhub.azure-devices.net'), { code: 'ENOTFOUND' }), 'dns', 'not-connected', /does not resolve/],
    [new Error('Connection refused: Not authorized'), 'unauthorized', 'unauthorized', /refused the credentials/],
  ])('%p', (inner, cause, kind, hint) => {
    const e = toTwinError(wrapped(inner), 'cannot connect');
    expect(e.connection).toBe(cause);
    expect(e.kind).toBe(kind);
    expect(e.message).toMatch(hint);
    expect(e.message).toContain(inner.message);
    if (cause !== 'unauthorized') expect(e.message).not.toMatch(/Not authorized/);
  });
});
