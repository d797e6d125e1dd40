import { randomBytes } from 'node:crypto';
import { checkSas, createSas, parseSas } from '../../../sandbox/hub/sas.js';

const key = randomBytes(32).toString('base64');
const other = randomBytes(32).toString('base64');
const resource = 'hub.example/devices/dev1/modules/$edgeAgent';

describe('SAS tokens', () => {
  test('a token signed with the identity key for its resource is accepted', () => {
    const token = parseSas(createSas(resource, key, 2_000))!;
    expect(token.sr).toBe(encodeURIComponent(resource));
    expect(checkSas(token, [other, key], [resource], 1_000)).toEqual({ ok: true });
  });

  test('resource comparison ignores case and a trailing slash', () => {
    const token = parseSas(createSas(`${resource.toUpperCase()}/`, key, 2_000))!;
    expect(checkSas(token, [key], [resource], 1_000).ok).toBe(true);
  });

  test.each([
    ['expired', createSas(resource, key, 999), [key], resource, 'token expired'],
    ['wrong key', createSas(resource, other, 2_000), [key], resource, 'signature does not match'],
    ['other identity', createSas('hub.example/devices/dev2', key, 2_000), [key], resource, 'token resource (sr) does not match the identity'],
  ])('refuses a token: %s', (_name, text, keys, res, reason) => {
    expect(checkSas(parseSas(text)!, keys, [res], 1_000)).toEqual({ ok: false, reason });
  });

  test('parses skn and rejects malformed tokens', () => {
    expect(parseSas(createSas('hub.example', key, 5, 'iothubowner'))?.skn).toBe('iothubowner');
    expect(parseSas('Bearer abc')).toBeUndefined();
    expect(parseSas('SharedAccessSignature sr=a&sig=b')).toBeUndefined();
    expect(parseSas('SharedAccessSignature sr=a&sig=b&se=soon')).toBeUndefined();
    expect(parseSas('SharedAccessSignature sr=a&sig=b&se=5&skn=%E0%A4%A')).toBeUndefined();
  });
});
