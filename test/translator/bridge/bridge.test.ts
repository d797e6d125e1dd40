/**
 * What the bridge costs the API server, counted on the wire by a proxy in front of the
 * cluster (lists, watches, single GETs and writes alike): a first apply is one list and one
 * watch per kind plus one apply per object, with no polling, even across startupOrder groups;
 * a new desired version with the same content costs no request at all. Pods coming and going
 * (a rollout, a pod deleted by hand) only refresh the status: no reconcile runs for them, while
 * a deleted Deployment is reconciled at once.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { Subject } from 'rxjs';
import { Bridge } from '../../../translator/bridge/bridge.js';
import type { ReconcileRun } from '../../../translator/reconcile/index.js';
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
const runs: ReconcileRun[] = [];

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

const pathsOf = () => proxy.requests.map((r) => `${r.method} ${new URL(r.url, 'http://x').pathname.replace(/^.*\/namespaces\/[^/]+\//, '')}`);

/** Waits until no reconcile has run for `quietMs` (a rollout in progress may still be causing some). */
async function quiet(quietMs = 500): Promise<void> {
  await waitFor('the reconciles to settle', async () => {
    const count = runs.length;
    await new Promise((r) => setTimeout(r, quietMs));
    return runs.length === count ? true : undefined;
  });
}

const summary = () => {
  const counts: Record<string, number> = {};
  for (const r of proxy.requests) counts[requestType(r)] = (counts[requestType(r)] ?? 0) + 1;
  return counts;
};

beforeAll(async () => {
  cluster = await openCluster('bridge-req');
  proxy = await startCountingProxy(cluster.kc);
  bridge = new Bridge({ kubeConfig: proxy.kc, namespace: cluster.namespace, deviceId: DEVICE, desired$, report: (d) => reports.push(d), statusIntervalMs: 20, onRun: (run) => runs.push(run) });
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
    expect(pathsOf()).toEqual(['PATCH deployments/m0', 'PATCH secrets/iotedge-k8s-last-good']);
  });

  test('pods deleted and recreated, no desired change: no reconcile, the status follows them; a deleted Deployment is reconciled at once', async () => {
    const core = cluster.kc.makeApiClient(k8s.CoreV1Api);
    const apps = cluster.kc.makeApiClient(k8s.AppsV1Api);
    await quiet();
    const runsBefore = runs.length;
    const startedBefore = new Map(Object.entries(reports.at(-1)!.modules).map(([name, m]) => [name, m.lastStartTimeUtc]));
    const moduleNames = Array.from({ length: N }, (_, i) => `m${i}`);
    expect(moduleNames.every((name) => startedBefore.get(name) !== undefined)).toBe(true);
    // Start times have whole seconds (RFC 3339, as Kubernetes writes them): a pod restarted in the
    // second its predecessor started (m0's, from the change just before) would show the same
    // time. Wait for the next second, so that every new pod's start time is a later one.
    const latestStart = Math.max(...[...startedBefore.values()].map((t) => Date.parse(t!)));
    await new Promise((r) => setTimeout(r, Math.max(0, latestStart + 1000 - Date.now())));
    proxy.reset();
    // Someone else's pod deletions (the bench's rollouts do the same): the ReplicaSets make new ones.
    const pods = (await core.listNamespacedPod({ namespace: cluster.namespace })).items.filter((p) => moduleNames.includes(p.metadata?.labels?.['net.azure-devices.edge.module'] ?? ''));
    expect(pods.length).toBeGreaterThanOrEqual(N);
    await Promise.all(pods.map((p) => core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: cluster.namespace, gracePeriodSeconds: 0 })));
    // The status follows the new pods (observed$), without a reconcile.
    await waitFor('every module reported with a new start time', async () => {
      const modules = reports.at(-1)!.modules;
      return moduleNames.every((name) => modules[name]?.runtimeStatus === 'running' && modules[name]!.lastStartTimeUtc > startedBefore.get(name)!) ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(runs.slice(runsBefore).map((r) => r.cause)).toEqual([]);
    expect(summary()).toEqual({});

    // Drift of an object the bridge writes still reconciles at once (not at the 5-minute resync).
    const deletedAt = Date.now();
    await apps.deleteNamespacedDeployment({ name: 'm3', namespace: cluster.namespace });
    const healing = await waitFor('a reconcile applying m3 again', async () => runs.slice(runsBefore).find((r) => r.outcome.kind === 'done' && r.outcome.applied.includes('Deployment/m3')), 5000);
    expect(Date.now() - deletedAt).toBeLessThan(5000);
    expect(['trigger', 'follow-up']).toContain(healing.cause); // not the 5-minute resync
    expect(pathsOf()).toEqual(['PATCH deployments/m3']);
  });
});
