/**
 * The bridge's preparePass hook (how `run` adds module credentials each pass): what it returns is
 * what gets applied, its module notes reach the reported statusDescription, a throw applies and
 * prunes nothing (what runs stays), and `nextPassInMs` brings another pass with no trigger.
 */
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { Subject } from 'rxjs';
import { Bridge, type PassInput, type PreparedPass } from '../../../translator/bridge/index.js';
import type { DesiredInput } from '../../../translator/sources/index.js';
import { parseManifest } from '../../../translator/manifest/index.js';
import type { ReportedDocument } from '../../../translator/status/index.js';
import { manifestOf, openCluster, waitFor, type TestCluster } from '../reconcile/harness.js';

jest.setTimeout(60_000);

const DEVICE = 'dev-prep';
let cluster: TestCluster;
let bridge: Bridge;
const desired$ = new Subject<DesiredInput>();
const reports: ReportedDocument[] = [];
const passes: PassInput[] = [];
let behaviour: 'mark' | 'fail' | 'again' = 'mark';

/** Marks every Deployment's pod template, notes a problem on module `a`. */
async function preparePass(input: PassInput): Promise<PreparedPass> {
  passes.push(input);
  if (behaviour === 'fail') throw new Error('IoT Hub unreachable');
  const objects = input.objects.map((o) =>
    o.kind === 'Deployment' ? { ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, 'test/prepared': `v${input.version}` } } } : o,
  );
  return { objects, moduleNotes: new Map([['a', 'module identity: throttled']]), ...(behaviour === 'again' ? { nextPassInMs: 100 } : {}) };
}

const apps = () => cluster.kc.makeApiClient(k8s.AppsV1Api);
const marked = async (name: string) => (await apps().readNamespacedDeployment({ name, namespace: cluster.namespace })).metadata?.annotations?.['test/prepared'];

beforeAll(async () => {
  cluster = await openCluster('bridge-prep');
  bridge = new Bridge({
    kubeConfig: cluster.kc,
    namespace: cluster.namespace,
    deviceId: DEVICE,
    desired$,
    report: (d) => reports.push(d),
    statusIntervalMs: 20,
    preparePass,
    agentNote: 'a note of the bridge',
  });
  await bridge.start();
});

afterAll(async () => {
  await bridge?.stop();
  await cluster?.close();
});

test('the objects the hook returns are applied; its notes reach the modules, the agent note edgeAgent', async () => {
  desired$.next({ version: 1, manifest: parseManifest(manifestOf({ a: { image: 'runs' }, b: { image: 'runs' } })) });
  await waitFor('version 1 applied', () => (reports.some((r) => r.lastDesiredVersion === 1 && r.lastDesiredStatus.code === 200) ? true : undefined));
  expect(await marked('a')).toBe('v1');
  expect(passes[0]!.model.modules.map((m) => m.name).sort()).toEqual(['a', 'b']);
  const last = reports[reports.length - 1]!;
  expect(last.modules.a!.statusDescription).toMatch(/; module identity: throttled$/);
  expect(last.modules.b!.statusDescription).not.toContain('throttled');
  expect(last.systemModules.edgeAgent.statusDescription).toBe('running; a note of the bridge');
});

test('when the hook throws, nothing is applied or pruned and the pass is retried', async () => {
  behaviour = 'fail';
  const before = passes.length;
  desired$.next({ version: 2, manifest: parseManifest(manifestOf({ a: { image: 'runs' } })) });
  await waitFor('two failed passes (a retry)', () => (passes.length >= before + 2 ? true : undefined));
  // b is no longer desired, yet it stays, and a keeps the objects of version 1.
  expect(await marked('b')).toBe('v1');
  expect(await marked('a')).toBe('v1');
  expect(reports[reports.length - 1]!.lastDesiredVersion).toBe(1);
  behaviour = 'mark';
  await waitFor('version 2 applied once the hook works', () => (reports.some((r) => r.lastDesiredVersion === 2 && r.lastDesiredStatus.code === 200) ? true : undefined));
  expect(await marked('a')).toBe('v2');
  await waitFor('b pruned', () => apps().readNamespacedDeployment({ name: 'b', namespace: cluster.namespace }).then(() => undefined, () => true));
});

test('nextPassInMs brings another pass without any trigger', async () => {
  behaviour = 'again';
  const before = passes.length;
  desired$.next({ version: 3, manifest: parseManifest(manifestOf({ a: { image: 'runs' } })) });
  await waitFor('three more passes', () => (passes.length >= before + 3 ? true : undefined), 5_000);
  behaviour = 'mark';
});
