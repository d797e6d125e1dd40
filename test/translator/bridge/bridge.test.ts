/**
 * What the bridge costs the API server, counted on the wire by a proxy in front of the
 * cluster (lists, watches, single GETs and writes alike): a first apply is one list and one
 * watch per kind plus one apply per object, with no polling, even across startupOrder groups;
 * a new desired version with the same content costs no request at all.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { Subject } from 'rxjs';
import { Bridge } from '../../../translator/bridge/bridge.js';
import type { DesiredInput } from '../../../translator/sources/index.js';
import { KINDS } from '../../../translator/kinds/index.js';
import { parseManifest } from '../../../translator/manifest/index.js';
import type { ReportedDocument } from '../../../translator/status/index.js';
import { startCountingProxy, requestType, type CountingProxy } from '../../support/counting-proxy.js';
import { desiredOf, manifestOf, openCluster, waitFor, type TestCluster, type TestModule } from '../reconcile/harness.js';

jest.setTimeout(60_000);

const DEVICE = 'dev-req';
const N = 10;
let cluster: TestCluster;
let proxy: CountingProxy;
let bridge: Bridge;
const desired$ = new Subject<DesiredInput>();
const reports: ReportedDocument[] = [];

/** N modules in two startupOrder groups; every other one with a Service. */
function modules(image: 'runs' | 'runsToo' = 'runs'): Record<string, TestModule> {
  return Object.fromEntries(
    Array.from({ length: N }, (_, i) => [`m${i}`, { image: i === 0 ? image : 'runs', startupOrder: i < N / 2 ? 1 : 2, ...(i % 2 === 0 ? { port: 8000 + i } : {}) } satisfies TestModule]),
  );
}

async function push(version: number, doc: unknown): Promise<void> {
  desired$.next({ version, manifest: parseManifest(doc) });
  await waitFor(`version ${version} reported applied`, async () =>
    reports.some((r) => r.lastDesiredVersion === version && r.lastDesiredStatus.code === 200) ? true : undefined,
  );
}

const summary = () => {
  const counts: Record<string, number> = {};
  for (const r of proxy.requests) counts[requestType(r)] = (counts[requestType(r)] ?? 0) + 1;
  return counts;
};

beforeAll(async () => {
  cluster = await openCluster('bridge-req');
  proxy = await startCountingProxy(cluster.kc);
  bridge = new Bridge({ kubeConfig: proxy.kc, namespace: cluster.namespace, deviceId: DEVICE, desired$, report: (d) => reports.push(d), statusIntervalMs: 20 });
});

afterAll(async () => {
  await bridge?.stop();
  await proxy?.close();
  await cluster?.close();
});

describe('API requests of the bridge', () => {
  test(`a first apply of ${N} modules in two startup groups: one list and one watch per kind, one apply per object, no polling`, async () => {
    const doc = manifestOf(modules());
    const objects = desiredOf(doc, 1, cluster.namespace, DEVICE).objects.length;
    proxy.reset();
    await bridge.start();
    await push(1, doc);
    const lists = proxy.requests.filter((r) => requestType(r) === 'list');
    const watches = proxy.requests.filter((r) => requestType(r) === 'watch');
    const gets = proxy.requests.filter((r) => requestType(r) === 'get');
    const writes = proxy.requests.filter((r) => requestType(r) === 'write');
    expect(lists).toHaveLength(KINDS.length);
    expect(new Set(lists.map((r) => new URL(r.url, 'http://x').pathname)).size).toBe(KINDS.length);
    expect(watches).toHaveLength(KINDS.length);
    // At start only: the namespace (created when missing) and the last good deployment.
    expect(gets.map((r) => new URL(r.url, 'http://x').pathname).sort()).toEqual([`/api/v1/namespaces/${cluster.namespace}`, `/api/v1/namespaces/${cluster.namespace}/secrets/iotedge-k8s-last-good`]);
    // One server-side apply per object, and the last-good Secret.
    expect(writes).toHaveLength(objects + 1);
    expect(writes.every((r) => r.method === 'PATCH')).toBe(true);
    expect(proxy.requests.length).toBeLessThanOrEqual(2 * KINDS.length + 2 + objects + 1);
  });

  test('a new $version with the same content: not one request, the last-good Secret included', async () => {
    proxy.reset();
    await push(2, manifestOf(modules()));
    await new Promise((r) => setTimeout(r, 300));
    expect(summary()).toEqual({});
  });

  test('one changed module: its Deployment and the last-good Secret, nothing read', async () => {
    proxy.reset();
    await push(3, manifestOf(modules('runsToo')));
    await new Promise((r) => setTimeout(r, 300));
    expect(proxy.requests.map((r) => `${r.method} ${new URL(r.url, 'http://x').pathname.replace(/^.*\/namespaces\/[^/]+\//, '')}`)).toEqual([
      'PATCH deployments/m0',
      'PATCH secrets/iotedge-k8s-last-good',
    ]);
  });
});
