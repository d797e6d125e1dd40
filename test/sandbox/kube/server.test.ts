/**
 * The request path of the emulator's HTTP front: every routed request reaches the
 * authorizer hook with its verb and resource attributes before its handler runs.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { KubeApiError, startKubeEmulator, type KubeEmulator, type RequestAttributes } from '../../../sandbox/kube/index.js';
import { apiError } from './harness.js';

let kube: KubeEmulator;
let kc: k8s.KubeConfig;
const seen: RequestAttributes[] = [];

beforeAll(async () => {
  kube = await startKubeEmulator({
    authenticate: (req) => (req.headers.authorization === 'Bearer sandbox' ? 'sandbox-user' : 'system:anonymous'),
    authorize: (attributes) => {
      seen.push(attributes);
      if (attributes.verb === 'delete' && attributes.resource?.resource === 'configmaps') {
        throw new KubeApiError(403, 'Forbidden', `configmaps "${attributes.resource.name}" is forbidden: User "${attributes.user}" cannot delete resource "configmaps"`);
      }
    },
  });
  kc = new k8s.KubeConfig();
  kc.loadFromString(kube.kubeconfig);
});

afterAll(async () => {
  await kube?.stop();
});

describe('authorizer hook', () => {
  test('gets the user, verb and resource of each request, after routing and before the handler', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'guarded' } } });
    const denied = await apiError(core.deleteNamespacedConfigMap({ namespace: 'default', name: 'guarded' }));
    expect(denied.code).toBe(403);
    expect(denied.status).toMatchObject({ reason: 'Forbidden' });
    // The handler did not run: the object is still there.
    expect((await core.readNamespacedConfigMap({ namespace: 'default', name: 'guarded' })).metadata?.name).toBe('guarded');
    await core.patchNamespaceStatus({ name: 'default', body: { metadata: {} } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await core.listNamespacedPod({ namespace: 'default' });

    expect(seen).toEqual(
      expect.arrayContaining([
        { user: 'sandbox-user', verb: 'create', resource: { apiGroup: '', resource: 'configmaps', subresource: undefined, namespace: 'default', name: undefined } },
        { user: 'sandbox-user', verb: 'delete', resource: { apiGroup: '', resource: 'configmaps', subresource: undefined, namespace: 'default', name: 'guarded' } },
        { user: 'sandbox-user', verb: 'get', resource: { apiGroup: '', resource: 'configmaps', subresource: undefined, namespace: 'default', name: 'guarded' } },
        { user: 'sandbox-user', verb: 'patch', resource: { apiGroup: '', resource: 'namespaces', subresource: 'status', namespace: undefined, name: 'default' } },
        { user: 'sandbox-user', verb: 'list', resource: { apiGroup: '', resource: 'pods', subresource: undefined, namespace: 'default', name: undefined } },
      ]),
    );
  });

  test('watches are the watch verb; discovery is a non-resource path', async () => {
    seen.length = 0;
    const watch = new k8s.Watch(kc);
    const request = await watch.watch('/apis/apps/v1/namespaces/default/deployments', {}, () => undefined, () => undefined);
    await new Promise((r) => setTimeout(r, 200));
    request.abort();
    await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(seen).toEqual(
      expect.arrayContaining([
        { user: 'sandbox-user', verb: 'watch', resource: { apiGroup: 'apps', resource: 'deployments', subresource: undefined, namespace: 'default', name: undefined } },
        { user: 'sandbox-user', verb: 'get', path: '/version' },
      ]),
    );
  });
});
