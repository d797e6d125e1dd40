/**
 * The reported 200 of an applied version leaves with the pod event that completes its rollout:
 * the status interval (throttling the refreshes that observed changes cause) does not hold it
 * back. Here the interval is 10 s, far longer than the rollout on the emulator, so a 200 that
 * waited for the interval's end would come about 10 s after the bridge's first refresh.
 */
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { Subject } from 'rxjs';
import { Bridge } from '../../../translator/bridge/bridge.js';
import type { DesiredInput } from '../../../translator/sources/index.js';
import { parseManifest } from '../../../translator/manifest/index.js';
import type { ReportedDocument } from '../../../translator/status/index.js';
import { manifestOf, openCluster, waitFor, type TestCluster } from '../reconcile/harness.js';

jest.setTimeout(60_000);

const INTERVAL_MS = 10_000;
let cluster: TestCluster;
let bridge: Bridge;
const desired$ = new Subject<DesiredInput>();
const reports: { at: number; document: ReportedDocument }[] = [];

beforeAll(async () => {
  cluster = await openCluster('bridge-settle');
  bridge = new Bridge({
    kubeConfig: cluster.kc,
    namespace: cluster.namespace,
    deviceId: 'dev-settle',
    desired$,
    report: (document) => reports.push({ at: performance.now(), document }),
    statusIntervalMs: INTERVAL_MS,
  });
  await bridge.start();
});

afterAll(async () => {
  await bridge?.stop();
  await cluster?.close();
});

const reportedAt = (version: number, code: number) => reports.find((r) => r.document.lastDesiredVersion === version && r.document.lastDesiredStatus.code === code)?.at;

test('an applied version is reported 200 as soon as its modules run, not at the end of the status interval', async () => {
  const pushed = performance.now();
  desired$.next({ version: 1, manifest: parseManifest(manifestOf({ a: { image: 'runs' }, b: { image: 'runs', port: 8080 } })) });
  const at = await waitFor('version 1 reported 200', () => reportedAt(1, 200), INTERVAL_MS / 2);
  expect(at - pushed).toBeLessThan(INTERVAL_MS / 2);
  // Reported 200 only once every module runs a pod: the status rule itself is unchanged.
  const last = reports.find((r) => r.at === at)!.document;
  expect(Object.values(last.modules).map((m) => m.runtimeStatus)).toEqual(['running', 'running']);

  // The next version too, with its pods replaced (a rollout): 200 once the new ones run.
  const changed = performance.now();
  desired$.next({ version: 2, manifest: parseManifest(manifestOf({ a: { image: 'runs', env: { ROUND: '2' } }, b: { image: 'runs', port: 8080, env: { ROUND: '2' } } })) });
  const second = await waitFor('version 2 reported 200', () => reportedAt(2, 200), INTERVAL_MS / 2);
  expect(second - changed).toBeLessThan(INTERVAL_MS / 2);
});
