import { describe, expect, test } from '@jest/globals';
import { resolveIntOrPercent } from '../../../sandbox/kube/controllers/deployment.js';
import { formatLogs, type LogLine } from '../../../sandbox/kube/controllers/kubelet.js';
import { expandPool } from '../../../sandbox/kube/controllers/loadbalancer.js';
import { ObjectStore } from '../../../sandbox/kube/store.js';
import { findType } from '../../../sandbox/kube/resources.js';
import { parsePath } from '../../../sandbox/kube/router.js';
import { humanDuration } from '../../../sandbox/kube/tables.js';

describe('pods/log formatting', () => {
  const now = new Date('2026-01-01T00:01:00.000Z');
  const lines: LogLine[] = [
    { time: new Date('2026-01-01T00:00:00.000Z'), text: 'one' },
    { time: new Date('2026-01-01T00:00:30.000Z'), text: 'two' },
    { time: new Date('2026-01-01T00:00:59.500Z'), text: 'three' },
  ];

  test('tailLines, sinceSeconds, timestamps and limitBytes', () => {
    expect(formatLogs(lines, {}, now)).toBe('one\ntwo\nthree\n');
    expect(formatLogs(lines, { tailLines: 2 }, now)).toBe('two\nthree\n');
    expect(formatLogs(lines, { tailLines: 0 }, now)).toBe('');
    expect(formatLogs(lines, { sinceSeconds: 31 }, now)).toBe('two\nthree\n');
    expect(formatLogs(lines, { sinceTime: '2026-01-01T00:00:45Z' }, now)).toBe('three\n');
    expect(formatLogs(lines, { tailLines: 1, timestamps: true }, now)).toBe('2026-01-01T00:00:59.500000000Z three\n');
    expect(formatLogs(lines, { limitBytes: 5 }, now)).toBe('one\nt');
  });
});

describe('small rules', () => {
  test('human durations as kubectl prints them', () => {
    expect(humanDuration(5_000)).toBe('5s');
    expect(humanDuration(119_000)).toBe('119s');
    expect(humanDuration(150_000)).toBe('2m30s');
    expect(humanDuration(600_000)).toBe('10m');
    expect(humanDuration(3 * 3600_000 + 5 * 60_000)).toBe('3h5m');
    expect(humanDuration(30 * 3600_000)).toBe('30h');
    expect(humanDuration(3 * 86400_000)).toBe('3d');
    expect(humanDuration(400 * 86400_000)).toBe('400d');
  });

  test('maxSurge rounds up, maxUnavailable rounds down', () => {
    expect(resolveIntOrPercent('25%', 3, true)).toBe(1);
    expect(resolveIntOrPercent('25%', 3, false)).toBe(0);
    expect(resolveIntOrPercent(2, 10, false)).toBe(2);
    expect(resolveIntOrPercent('3', 10, false)).toBe(3);
  });

  test('load-balancer pools from IPs, ranges and CIDRs', () => {
    expect(expandPool(['192.168.1.240/30'])).toEqual(['192.168.1.241', '192.168.1.242']);
    expect(expandPool(['10.0.0.1/32', '10.0.0.5-10.0.0.6', '10.0.0.1'])).toEqual(['10.0.0.1', '10.0.0.5', '10.0.0.6']);
    expect(() => expandPool(['10.0.0.300'])).toThrow('invalid IPv4 address');
    expect(() => expandPool(['10.0.0.0/8'])).toThrow('too large');
  });

  test('REST paths', () => {
    expect(parsePath('/apis/apps/v1/namespaces/ns/deployments/web/scale')).toMatchObject({
      kind: 'resource',
      path: { namespace: 'ns', name: 'web', subresource: 'scale', type: { kind: 'Deployment' } },
    });
    expect(parsePath('/api/v1/namespaces/ns')).toMatchObject({ kind: 'resource', path: { name: 'ns', type: { kind: 'Namespace' } } });
    expect(parsePath('/api/v1/namespaces/ns/status')).toMatchObject({ kind: 'resource', path: { name: 'ns', subresource: 'status' } });
    expect(parsePath('/api/v1/pods')).toMatchObject({ kind: 'resource', path: { type: { kind: 'Pod' } } });
    expect(parsePath('/apis/apps/v1')).toEqual({ kind: 'group-version', group: 'apps', version: 'v1' });
    expect(parsePath('/apis/apps/v2/deployments')).toEqual({ kind: 'unknown' });
  });
});

describe('object store window', () => {
  test('changes after a version are replayed; older versions than the window are 410', () => {
    const store = new ObjectStore(3);
    const cms = findType('', 'configmaps')!;
    for (let i = 0; i < 5; i++) store.put(cms, { metadata: { name: `c${i}`, namespace: 'ns' } });
    expect(store.resourceVersion).toBe(6);
    expect(store.since(4).map((e) => e.object.metadata.name)).toEqual(['c3', 'c4']);
    expect(() => store.since(2)).toThrow('too old resource version: 2 (3)');
    expect(() => store.since(3)).not.toThrow();
    const removed = store.remove(cms, { metadata: { name: 'c0', namespace: 'ns' } });
    expect(removed?.metadata.resourceVersion).toBe('7');
    expect(store.list(cms, 'ns').map((o) => o.metadata.name)).toEqual(['c1', 'c2', 'c3', 'c4']);
  });
});

describe('makeDirectory', () => {
  test('creates nested folders, and fails (never spins) where a folder cannot be made', async () => {
    const { makeDirectory } = await import('../../../sandbox/kube/dirs.js');
    const { mkdtempSync, statSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const base = mkdtempSync(join(tmpdir(), 'dirs-'));
    await makeDirectory(join(base, 'a', 'b', 'c'));
    expect(statSync(join(base, 'a', 'b', 'c')).isDirectory()).toBe(true);
    await makeDirectory(join(base, 'a', 'b', 'c'));
    await expect(makeDirectory('/proc/forbidden/deeper')).rejects.toThrow();
  });
});
