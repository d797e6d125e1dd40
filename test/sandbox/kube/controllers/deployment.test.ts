/**
 * The simulated Deployment controller's scheduling against the other rollouts: the follow-up of a
 * rollout whose status already shows it done (old ReplicaSets scaled down, the status that
 * reports it) waits until the workload controllers are idle, while the steps of a rollout in
 * flight (a new ReplicaSet, the status that shows its updated replica) run at once. The
 * ReplicaSet controller is left out: the test writes the ReplicaSets' status as it would.
 */
import { describe, expect, test } from '@jest/globals';
import { startDeploymentController } from '../../../../sandbox/kube/controllers/deployment.js';
import { controllerContexts } from '../../../support/controller-context.js';
import { until } from '../../../support/wait.js';
import { findType } from '../../../../sandbox/kube/resources.js';
import type { KubeObject } from '../../../../sandbox/kube/types.js';

const DEPLOYMENTS = findType('apps', 'deployments')!;
const RS = findType('apps', 'replicasets')!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const startAlone = controllerContexts();

function setUp() {
  const { api, ctx } = startAlone((ctx) => startDeploymentController(ctx));
  const deployment = () => api.tryGet(DEPLOYMENTS, 'ns', 'd');
  const replicaSet = (revision: string) =>
    (api.list(RS, 'ns').items as KubeObject[]).find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === revision);
  /** Writes a ReplicaSet's status as the ReplicaSet controller would. */
  const reportReplicas = (rs: KubeObject, replicas: number, available: number) => {
    const stored = api.get(RS, 'ns', rs.metadata.name ?? '');
    const status = { replicas, fullyLabeledReplicas: replicas, readyReplicas: available, availableReplicas: available, observedGeneration: stored.metadata.generation };
    api.update(RS, 'ns', rs.metadata.name ?? '', { ...stored, status }, { fieldManager: 'test', subresource: 'status' });
  };
  return { api, backlog: ctx.backlog, deployment, replicaSet, reportReplicas };
}

function deploymentBody(value: string): KubeObject {
  return {
    metadata: { name: 'd' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'd' } },
      template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'app:1', env: [{ name: 'V', value: value }] }] } },
    },
  } as KubeObject;
}

describe('Deployment controller: follow-ups of finished rollouts', () => {
  test('while the workload controllers have keys waiting, a rolled-out Deployment keeps its old ReplicaSet; the steps of a rollout in flight do not wait', async () => {
    const { api, backlog, deployment, replicaSet, reportReplicas } = setUp();
    api.create(DEPLOYMENTS, 'ns', deploymentBody('1'), { fieldManager: 'test' });
    await until('the first ReplicaSet', () => replicaSet('1') !== undefined);
    reportReplicas(replicaSet('1')!, 1, 1);
    await until('the first rollout shown', () => deployment()?.status?.availableReplicas === 1);

    // A new template while another controller has keys waiting.
    backlog.enter();
    const stored = api.get(DEPLOYMENTS, 'ns', 'd');
    api.update(DEPLOYMENTS, 'ns', 'd', { ...stored, spec: deploymentBody('2').spec }, { fieldManager: 'test' });
    await until('the new ReplicaSet', () => replicaSet('2') !== undefined);
    reportReplicas(replicaSet('2')!, 1, 0);
    await until('the updated replica shown', () => deployment()?.status?.updatedReplicas === 1 && deployment()?.status?.observedGeneration === 2);

    // The new pod is available: the rollout is done as far as its status shows; scaling the old ReplicaSet down is its follow-up.
    reportReplicas(replicaSet('2')!, 1, 1);
    await sleep(50);
    expect(replicaSet('1')!.spec?.replicas).toBe(1);
    backlog.leave();
    await until('the old ReplicaSet scaled down', () => replicaSet('1')!.spec?.replicas === 0, 500);
  });

  test('a Deployment whose new pod is not available yet is reconciled at once, busy or not', async () => {
    const { api, backlog, deployment, replicaSet, reportReplicas } = setUp();
    backlog.enter();
    api.create(DEPLOYMENTS, 'ns', deploymentBody('1'), { fieldManager: 'test' });
    await until('the first ReplicaSet', () => replicaSet('1') !== undefined, 500);
    reportReplicas(replicaSet('1')!, 1, 0);
    await until('its replica shown', () => deployment()?.status?.replicas === 1, 500);
    // The first pod becomes available: the Deployment shows it at once (startupOrder waits for it).
    reportReplicas(replicaSet('1')!, 1, 1);
    await until('its availability shown', () => deployment()?.status?.availableReplicas === 1, 500);
    backlog.leave();
  });
});
