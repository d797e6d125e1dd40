/**
 * The write fence, through a counting proxy in front of the API: while closed, writes of every
 * client made from the fenced KubeConfig (typed APIs, KubernetesObjectApi) fail before they
 * reach the wire; reads pass; once open, writes go out.
 */
import { CoreV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import { NotLeaderError, fenceWrites } from '../../../translator/leader/index.js';
import { openCluster, type TestCluster } from '../../support/cluster.js';
import { requestType, startCountingProxy, type CountingProxy } from '../../support/counting-proxy.js';

let cluster: TestCluster;
let proxy: CountingProxy;

beforeAll(async () => {
  cluster = await openCluster('fence', { tls: false });
  proxy = await startCountingProxy(cluster.kc);
}, 30_000);

afterAll(async () => {
  await proxy?.close();
  await cluster?.close();
});

it('refuses writes while closed, before they reach the API; reads pass', async () => {
  let open = false;
  const kc = fenceWrites(proxy.kc, () => open);
  const core = kc.makeApiClient(CoreV1Api);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const namespace = cluster.namespace;
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fenced', namespace }, data: { a: '1' } };
  proxy.reset();
  await expect(core.createNamespacedConfigMap({ namespace, body: configMap })).rejects.toThrow(NotLeaderError);
  await expect(objects.patch(configMap, undefined, undefined, 'test', true, 'application/apply-patch+yaml' as never)).rejects.toThrow(NotLeaderError);
  await expect(core.deleteNamespacedConfigMap({ name: 'fenced', namespace })).rejects.toThrow(/DELETE \/api\/v1\/namespaces\/[^/]+\/configmaps\/fenced refused: this bridge is not the leader/);
  expect((await core.listNamespacedConfigMap({ namespace })).items.map((c) => c.metadata?.name)).not.toContain('fenced');
  expect(proxy.requests.filter((r) => requestType(r) === 'write')).toEqual([]);
  expect(proxy.requests.every((r) => r.method === 'GET')).toBe(true);
  open = true;
  await core.createNamespacedConfigMap({ namespace, body: configMap });
  expect(proxy.requests.filter((r) => requestType(r) === 'write')).toHaveLength(1);
  open = false;
  await expect(core.replaceNamespacedConfigMap({ name: 'fenced', namespace, body: configMap })).rejects.toThrow(NotLeaderError);
  expect(proxy.requests.filter((r) => requestType(r) === 'write')).toHaveLength(1);
});
