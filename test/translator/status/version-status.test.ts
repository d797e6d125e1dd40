/** lastDesiredStatus of an applied version: created, pending or failed (500 naming the module), from observed objects. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KINDS } from '../../../translator/kinds/index.js';
import type { DeploymentModel, ModuleModel } from '../../../translator/manifest/index.js';
import { versionProgress, type ContainerStatusJson, type DeploymentJson, type ObservedObjects, type PodJson } from '../../../translator/status/index.js';
import { moduleModel } from '../translate/builders.js';
import { repoRoot } from '../../golden/samples.js';

const ANNOTATION = 'net.azure-devices.edge.original-moduleid';

function model(...modules: ModuleModel[]): DeploymentModel {
  return { schemaVersion: '1.1', runtime: { type: 'docker' }, registryCredentials: [], edgeAgent: moduleModel('edgeAgent'), modules, moduleTwins: {} };
}

function deployment(module: string, status: Partial<NonNullable<DeploymentJson['status']>> = { observedGeneration: 1, updatedReplicas: 1 }): Omit<DeploymentJson, 'kind'> {
  return { metadata: { name: module.toLowerCase(), generation: 1, annotations: { [ANNOTATION]: module } }, status };
}

function pod(module: string, container?: ContainerStatusJson, conditions?: PodJson['status'] extends infer S ? (S extends { conditions?: infer C } ? C : never) : never): PodJson {
  return {
    metadata: { name: `${module.toLowerCase()}-1`, creationTimestamp: '2026-11-28T02:00:00Z', annotations: { [ANNOTATION]: module } },
    spec: { containers: [{ name: module.toLowerCase() }] },
    status: { phase: 'Pending', ...(conditions ? { conditions } : {}), ...(container ? { containerStatuses: [{ name: module.toLowerCase(), ...container }] } : {}) },
  };
}

type Workload = Omit<ObservedObjects['workloads'][number], 'kind'>;

/** Observed objects; Deployments and Jobs are given apart and become workloads with their kind. */
function observed(parts: Partial<Omit<ObservedObjects, 'workloads'>> & { deployments?: Workload[]; jobs?: Workload[] }): ObservedObjects {
  const { deployments = [], jobs = [], ...rest } = parts;
  const workloads = [...deployments.map((d) => ({ ...d, kind: 'Deployment' })), ...jobs.map((j) => ({ ...j, kind: 'Job' }))] as ObservedObjects['workloads'];
  return { pods: [], services: [], workloads, ...rest };
}

const runningContainer: ContainerStatusJson = { state: { running: { startedAt: '2026-11-28T02:00:01Z' } } };

test('created once every running module has a started container', () => {
  const m = model(moduleModel('web'), moduleModel('off', {}, { status: 'stopped' }));
  expect(versionProgress(m, observed({ deployments: [deployment('web')], pods: [pod('web', runningContainer)] }))).toEqual({ kind: 'created' });
});

test('pending while pulling, before the rollout, or without a workload', () => {
  const m = model(moduleModel('web'));
  expect(versionProgress(m, observed({ deployments: [deployment('web')], pods: [pod('web', { state: { waiting: { reason: 'ContainerCreating' } } })] })).kind).toBe('pending');
  expect(versionProgress(m, observed({ deployments: [deployment('web', { observedGeneration: 0 })], pods: [pod('web', runningContainer)] })).kind).toBe('pending');
  expect(versionProgress(m, observed({}))).toEqual({ kind: 'pending', reason: "module 'web': no workload yet" });
});

test.each([
  ['an image that cannot be pulled', pod('web', { state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x:1"' } } }), /module 'web' could not be created: ImagePullBackOff: Back-off pulling image "x:1"/],
  ['a bad image name', pod('web', { state: { waiting: { reason: 'InvalidImageName' } } }), /module 'web' could not be created: InvalidImageName/],
  ['a pod that cannot be scheduled', pod('web', undefined, [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.' }]), /pod cannot be scheduled \(Unschedulable: 0\/1 nodes are available: 1 Insufficient nvidia.com\/gpu.\)/],
])('500 for %s, naming the module', (_what, p, description) => {
  const progress = versionProgress(model(moduleModel('web'), moduleModel('ok')), observed({ deployments: [deployment('web'), deployment('ok')], pods: [p, pod('ok', runningContainer)] }));
  expect(progress.kind).toBe('failed');
  if (progress.kind === 'failed') {
    expect(progress.status.code).toBe(500);
    expect(progress.status.description).toMatch(description);
    expect(progress.status.description).not.toContain("'ok'");
  }
});

test('500 when the Deployment cannot create pods (ReplicaFailure)', () => {
  const d = deployment('web', { observedGeneration: 1, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "web-1" is forbidden: exceeded quota' }] });
  const progress = versionProgress(model(moduleModel('web')), observed({ deployments: [d] }));
  expect(progress).toEqual({ kind: 'failed', status: { code: 500, description: "module 'web' could not be created: pods cannot be created (FailedCreate: pods \"web-1\" is forbidden: exceeded quota)" } });
});

test('a module that crashes after starting was created; a finished Job too', () => {
  const crashed: ContainerStatusJson = { state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 2, lastState: { terminated: { exitCode: 1 } } };
  expect(versionProgress(model(moduleModel('web')), observed({ deployments: [deployment('web')], pods: [pod('web', crashed)] })).kind).toBe('created');
  const job = { metadata: { annotations: { [ANNOTATION]: 'once' } }, status: { conditions: [{ type: 'Complete', status: 'True' }] } };
  expect(versionProgress(model(moduleModel('once', {}, { restartPolicy: 'never' })), observed({ jobs: [job] })).kind).toBe('created');
});

test("a running Job is judged by its own pods: a replaced Job's lingering pod does not count", () => {
  const job = { metadata: { uid: 'job-2', annotations: { [ANNOTATION]: 'once' } }, status: {} };
  const owned = (p: PodJson, uid: string): PodJson => ({ ...p, metadata: { ...p.metadata, ownerReferences: [{ uid }] } as PodJson['metadata'] });
  const once = model(moduleModel('once', {}, { restartPolicy: 'never' }));
  const stale = owned(pod('once', { state: { waiting: { reason: 'ErrImagePull' } } }), 'job-1');
  expect(versionProgress(once, observed({ jobs: [job], pods: [stale] }))).toEqual({ kind: 'pending', reason: "module 'once': no pod yet" });
  const mine = { ...owned(pod('once', { state: { running: {} } }), 'job-2'), metadata: { ...owned(pod('once'), 'job-2').metadata, name: 'once-2', creationTimestamp: '2026-11-28T01:00:00Z' } } as PodJson;
  expect(versionProgress(once, observed({ jobs: [job], pods: [stale, mine] })).kind).toBe('created');
});

test('version-status.ts names no Kubernetes kind: it reads the kind registry, so a new workload kind needs no edit there', () => {
  const source = readFileSync(join(repoRoot, 'translator', 'status', 'version-status.ts'), 'utf8');
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  for (const { kind } of KINDS.filter((k) => k.kind !== 'Pod')) {
    expect({ kind, literal: code.includes(`'${kind}'`), type: new RegExp(`\\b${kind}Json\\b`).test(code) }).toEqual({ kind, literal: false, type: false });
  }
  expect(code).toMatch(/WORKLOAD_KINDS/);
});
