/**
 * Self-healing of the bridge when things go wrong outside it, through the Kubernetes API:
 * - a valid deployment that the cluster refuses (an admission webhook or a quota answers 4xx;
 *   the emulator's fault injection plays that part) is reported with the API's answer and
 *   retried with backoff, while the last deployment that applied stays enforced: an object of it
 *   deleted meanwhile is restored;
 * - a deleted last-good Secret comes back with the next reconcile, without a new version.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { Subject } from 'rxjs';
import { Bridge } from '../../../translator/bridge/bridge.js';
import { parseManifest } from '../../../translator/manifest/index.js';
import type { DesiredInput } from '../../../translator/sources/index.js';
import { LAST_GOOD_KEY, LAST_GOOD_SECRET, decodeLastGood } from '../../../translator/reconcile/index.js';
import type { ReportedDocument } from '../../../translator/status/index.js';
import { manifestOf, openCluster, waitFor, type TestCluster, type TestModule } from '../reconcile/harness.js';

jest.setTimeout(60_000);

const DEVICE = 'dev-heal';
let cluster: TestCluster;
let bridge: Bridge;
let apps: k8s.AppsV1Api;
let core: k8s.CoreV1Api;
const desired$ = new Subject<DesiredInput>();
const reports: ReportedDocument[] = [];
const refusals: { attempt: number; retryInMs: number }[] = [];
let retries = 0;

const last = () => reports.at(-1);
const deploymentNames = async () => (await apps.listNamespacedDeployment({ namespace: cluster.namespace })).items.map((d) => d.metadata!.name!).sort();

function push(version: number, modules: Record<string, TestModule>): void {
  desired$.next({ version, manifest: parseManifest(manifestOf(modules)) });
}

async function reported(version: number, code: number): Promise<ReportedDocument> {
  return waitFor(`version ${version} reported with ${code}`, async () => {
    const r = last();
    return r?.lastDesiredVersion === version && r.lastDesiredStatus.code === code ? r : undefined;
  });
}

beforeAll(async () => {
  cluster = await openCluster('bridge-heal');
  apps = cluster.kc.makeApiClient(k8s.AppsV1Api);
  core = cluster.kc.makeApiClient(k8s.CoreV1Api);
  bridge = new Bridge({
    kubeConfig: cluster.kc,
    namespace: cluster.namespace,
    deviceId: DEVICE,
    desired$,
    report: (d) => reports.push(d),
    statusIntervalMs: 20,
    refusedBackoff: { initialMs: 200, maxMs: 800, jitter: 0 },
    log: (level, msg, fields) => {
      if (process.env.DEBUG_HEAL) process.stderr.write(`${level} ${msg} ${JSON.stringify(fields)}\n`);
      if (msg.startsWith('the cluster refused')) refusals.push(fields as { attempt: number; retryInMs: number });
      if (msg === 'reconcile retry') retries++;
    },
  });
  await bridge.start();
});

afterAll(async () => {
  await bridge?.stop();
  await cluster?.close();
});

// The refusal comes from the emulator's fault injection (a real cluster would need an admission webhook).
const onEmulator = process.env.KUBECONFIG ? describe.skip : describe;

onEmulator('a deployment the cluster refuses', () => {
  test('is reported with the API answer, retried with growing backoff, and the last applied deployment stays enforced', async () => {
    push(1, { alpha: { image: 'runs' }, beta: { image: 'runs' } });
    await reported(1, 200);
    const before = await deploymentNames();
    expect(before).toEqual(expect.arrayContaining(['alpha', 'beta']));

    // Version 2 adds gamma and changes beta; the cluster refuses gamma's Deployment every time.
    cluster.emulator!.faults.refuseNext(1_000_000, { method: 'PATCH', path: /\/deployments\/gamma$/ }, 422);
    push(2, { alpha: { image: 'runs' }, beta: { image: 'runsToo' }, gamma: { image: 'runs' } });
    const refused = await reported(2, 400);
    expect(refused.lastDesiredStatus.description).toMatch(/Deployment\/gamma: 422 Invalid: .*injected refusal/);
    // The modules reported are the enforced deployment's.
    expect(Object.keys(refused.modules).sort()).toEqual(['alpha', 'beta']);
    // The last-good Secret, written together with the last writes, was put back to version 1.
    const secret = await core.readNamespacedSecret({ name: LAST_GOOD_SECRET, namespace: cluster.namespace });
    expect(decodeLastGood(secret.data![LAST_GOOD_KEY]!).version).toBe(1);

    // Self-healing goes on: a Deployment of the enforced version deleted by hand comes back, as version 1 had it.
    await apps.deleteNamespacedDeployment({ name: 'alpha', namespace: cluster.namespace });
    const restored = await waitFor('alpha restored', async () => apps.readNamespacedDeployment({ name: 'alpha', namespace: cluster.namespace }).catch(() => undefined));
    expect(restored.metadata?.uid).toBeDefined();
    await waitFor('version 1 enforced again', async () => {
      const beta = await apps.readNamespacedDeployment({ name: 'beta', namespace: cluster.namespace });
      return beta.spec?.template.spec?.containers[0]?.image === 'busybox:1.36' ? true : undefined;
    });
    expect(await deploymentNames()).toEqual(before);
    expect(bridge.ready()).toBe(true);
    expect(last()?.lastDesiredVersion).toBe(2);
    expect(last()?.lastDesiredStatus.code).toBe(400);

    // Retried without a new version, with a growing delay.
    await waitFor('three refusals', async () => (refusals.length >= 3 ? true : undefined));
    expect(refusals.slice(0, 3).map((r) => [r.attempt, r.retryInMs])).toEqual([
      [1, 200],
      [2, 400],
      [3, 800],
    ]);

    // Once the cluster accepts it, the retry applies version 2.
    cluster.emulator!.faults.reset();
    await reported(2, 200);
    expect(await deploymentNames()).toEqual(expect.arrayContaining(['alpha', 'beta', 'gamma']));
    const beta = await apps.readNamespacedDeployment({ name: 'beta', namespace: cluster.namespace });
    expect(beta.spec?.template.spec?.containers[0]?.image).toBe('busybox:1.37');
  });

  test('a refused first deployment (nothing enforced yet) is retried too', async () => {
    const other = await openCluster('bridge-heal-first');
    const reportsOfOther: ReportedDocument[] = [];
    const input = new Subject<DesiredInput>();
    const second = new Bridge({ kubeConfig: other.kc, namespace: other.namespace, deviceId: DEVICE, desired$: input, report: (d) => reportsOfOther.push(d), statusIntervalMs: 20, refusedBackoff: { initialMs: 200, maxMs: 400, jitter: 0 } });
    try {
      await second.start();
      other.emulator!.faults.refuseNext(2, { method: 'PATCH', path: /\/deployments\/solo$/ }, 403);
      input.next({ version: 5, manifest: parseManifest(manifestOf({ solo: { image: 'runs' } })) });
      await waitFor('refusal reported', async () => (reportsOfOther.some((r) => r.lastDesiredVersion === 5 && /403 Forbidden/.test(r.lastDesiredStatus.description ?? '')) ? true : undefined));
      await waitFor('applied after the refusals', async () => (reportsOfOther.at(-1)?.lastDesiredVersion === 5 && reportsOfOther.at(-1)?.lastDesiredStatus.code === 200 ? true : undefined));
      expect(second.ready()).toBe(true);
    } finally {
      await second.stop();
      await other.close();
    }
  });
});

describe('the last-good Secret', () => {
  test('deleted, it is written again by the next reconcile, without a new version', async () => {
    if (!reports.some((r) => r.lastDesiredStatus.code === 200)) {
      push(1, { alpha: { image: 'runs' } });
      await reported(1, 200);
    }
    const version = last()!.lastDesiredVersion;
    const read = () => core.readNamespacedSecret({ name: 'iotedge-k8s-last-good', namespace: cluster.namespace });
    const before = await read();
    await core.deleteNamespacedSecret({ name: 'iotedge-k8s-last-good', namespace: cluster.namespace });
    const again = await waitFor('the Secret written again', async () => read().catch(() => undefined));
    expect(again.metadata?.uid).not.toBe(before.metadata?.uid);
    expect(again.data).toEqual(before.data);
    expect(last()!.lastDesiredVersion).toBe(version);
  });

  const onEmulatorTest = process.env.KUBECONFIG ? test.skip : test;
  onEmulatorTest('written with the last writes; when those fail and the pass will be retried, the last good deployment is put back', async () => {
    const version = last()!.lastDesiredVersion;
    const storedVersion = async () => decodeLastGood((await core.readNamespacedSecret({ name: LAST_GOOD_SECRET, namespace: cluster.namespace })).data![LAST_GOOD_KEY]!).version;
    expect(await storedVersion()).toBe(version);
    // The new module's Deployment (the last wave) is throttled once, with a Retry-After of 2 s.
    cluster.emulator!.faults.throttleNext(1, 2, { method: 'PATCH', path: /\/deployments\/delta$/ });
    const retriesBefore = retries;
    push(version + 1, { alpha: { image: 'runs' }, delta: { image: 'runs' } });
    await waitFor('the pass to fail (a retry)', async () => (retries > retriesBefore ? true : undefined));
    // While the retry waits, the Secret holds the last deployment that applied, not the new one.
    await waitFor(`the Secret back at version ${version}`, async () => ((await storedVersion()) === version ? true : undefined), 1500);
    await reported(version + 1, 200);
    expect(await storedVersion()).toBe(version + 1);
  });
});
