/** lastDesiredVersion / lastDesiredStatus as the bridge reports them. */
import { parseManifest } from '../../../translator/manifest/index.js';
import { DesiredStatusTracker } from '../../../translator/status/index.js';
import { deploymentManifest, dockerModule } from '../../support/manifest.js';

test('406 until a deployment arrives; a rejection at once; a reconcile once it ends', () => {
  const t = new DesiredStatusTracker();
  expect(t.current).toEqual({ version: 0, status: { code: 406, description: 'no deployment received yet' } });
  t.rejected(3, { code: 400, description: '/modules/a: bad' });
  expect(t.current).toEqual({ version: 3, status: { code: 400, description: '/modules/a: bad' } });
  t.reconciled(4, 'retry');
  expect(t.current.version).toBe(3);
  t.reconciled(4, { code: 409, description: 'refused by the cluster' });
  expect(t.current).toEqual({ version: 4, status: { code: 409, description: 'refused by the cluster' } });
  t.reconciled(5, { code: 500, description: 'refused by the cluster' });
  expect(t.current).toEqual({ version: 5, status: { code: 500, description: 'refused by the cluster' } });
});

test('a reconcile of an older version never replaces a newer rejection', () => {
  const t = new DesiredStatusTracker();
  t.reconciled(2, { code: 422, description: 'refused' });
  t.rejected(3, { code: 412, description: 'schemaVersion' });
  t.reconciled(2, { code: 422, description: 'refused' });
  expect(t.current).toEqual({ version: 3, status: { code: 412, description: 'schemaVersion' } });
  t.reconciled(undefined, { code: 422, description: 'refused' });
  expect(t.current.version).toBe(3);
});

test('an applied version is reported once its modules are created, or 500 naming those that cannot be', () => {
  const t = new DesiredStatusTracker();
  const model = parseManifest(deploymentManifest({ modules: { web: dockerModule('nginx:1.27') } })).model!;
  const meta = (id: string) => ({ annotations: { 'net.azure-devices.edge.original-moduleid': id } });
  const deployment = (id: string) => ({ kind: 'Deployment' as const, metadata: { ...meta(id), generation: 1 }, status: { observedGeneration: 1, updatedReplicas: 1 } });
  const pod = (id: string, state: object) => ({ metadata: { ...meta(id), creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { containers: [{ name: id }] }, status: { containerStatuses: [{ name: id, state }] } });
  const running = { running: { startedAt: '2026-01-01T00:00:01Z' } };
  const workloads = [deployment('web'), deployment('edgeHub')];
  t.reconciled(1, 'applied');
  t.settle({ version: 1, model }, { pods: [pod('web', { waiting: { reason: 'ContainerCreating' } }), pod('edgeHub', running)], workloads, services: [] });
  expect(t.current.version).toBe(0);
  t.settle({ version: 1, model }, { pods: [pod('web', { waiting: { reason: 'ImagePullBackOff', message: 'no such image' } }), pod('edgeHub', running)], workloads, services: [] });
  expect(t.current).toEqual({ version: 1, status: { code: 500, description: expect.stringContaining("module 'web' could not be created: ImagePullBackOff") } });
  t.reconciled(2, 'applied');
  t.settle({ version: 2, model }, { pods: [pod('web', running), pod('edgeHub', running)], workloads, services: [] });
  expect(t.current).toEqual({ version: 2, status: { code: 200, description: '' } });
});

test('awaiting: from an applied version until it is reported 200 (a 500 may still turn 200), never for a rejection', () => {
  const t = new DesiredStatusTracker();
  const model = parseManifest(deploymentManifest({ modules: { web: dockerModule('nginx:1.27') } })).model!;
  const meta = (id: string) => ({ annotations: { 'net.azure-devices.edge.original-moduleid': id } });
  const workloads = ['web', 'edgeHub'].map((id) => ({ kind: 'Deployment' as const, metadata: { ...meta(id), generation: 1 }, status: { observedGeneration: 1, updatedReplicas: 1 } }));
  const pod = (id: string, state: object) => ({ metadata: { ...meta(id), creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { containers: [{ name: id }] }, status: { containerStatuses: [{ name: id, state }] } });
  const running = { running: { startedAt: '2026-01-01T00:00:01Z' } };
  expect(t.awaiting).toBe(false);
  t.rejected(1, { code: 400, description: 'bad' });
  expect(t.awaiting).toBe(false);
  t.reconciled(2, 'applied');
  expect(t.awaiting).toBe(true);
  t.settle({ version: 2, model }, { pods: [pod('web', { waiting: { reason: 'ErrImagePull' } }), pod('edgeHub', running)], workloads, services: [] });
  expect(t.current.status.code).toBe(500);
  expect(t.awaiting).toBe(true);
  t.settle({ version: 2, model }, { pods: [pod('web', running), pod('edgeHub', running)], workloads, services: [] });
  expect(t.current).toEqual({ version: 2, status: { code: 200, description: '' } });
  expect(t.awaiting).toBe(false);
  // A newer rejection ends the wait for the older applied version.
  t.reconciled(3, 'applied');
  expect(t.awaiting).toBe(true);
  t.rejected(4, { code: 412, description: 'schemaVersion' });
  expect(t.awaiting).toBe(false);
});
