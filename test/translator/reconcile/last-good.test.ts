import { describe, expect, it } from '@jest/globals';
import { gzipSync } from 'node:zlib';
import { LAST_GOOD_SECRET, LastGoodError, decodeLastGood, encodeLastGood, lastGoodSecret } from '../../../translator/reconcile/last-good.js';

const value = { version: 7, manifest: { modulesContent: { $edgeAgent: { 'properties.desired': { registry: { password: 'p@ss-SECRET' } } } } } };

describe('last good encoding', () => {
  it('round-trips through gzip + base64 JSON', () => {
    const data = encodeLastGood(value);
    expect(data).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(data).not.toContain('SECRET');
    expect(decodeLastGood(data)).toEqual(value);
  });

  it('rejects malformed data without echoing it', () => {
    expect(() => decodeLastGood('not-gzip-SECRET')).toThrow(LastGoodError);
    expect(() => decodeLastGood('not-gzip-SECRET')).not.toThrow(/SECRET/);
    const wrongShape = gzipSync(JSON.stringify({ version: 'x', manifest: 'SECRET' })).toString('base64');
    expect(() => decodeLastGood(wrongShape)).toThrow(/must hold \{version: number, manifest\}/);
    expect(() => decodeLastGood(wrongShape)).not.toThrow(/SECRET/);
  });

  it('builds an Opaque Secret without the device label (never pruned)', () => {
    const secret = lastGoodSecret('ns', value);
    expect(secret.metadata).toEqual({
      name: LAST_GOOD_SECRET,
      namespace: 'ns',
      labels: { 'app.kubernetes.io/managed-by': 'iotedge-k8s', 'app.kubernetes.io/component': 'last-good-deployment' },
    });
    expect(secret.type).toBe('Opaque');
  });
});
