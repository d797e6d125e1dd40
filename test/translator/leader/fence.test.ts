/**
 * The write fence, through a counting proxy in front of the API: while closed, writes of every
 * client of translator/kube made from the fenced configuration (plain requests, the typed APIs,
 * RegistryObjectApi) fail before they reach the wire; reads and watches pass; once open, writes
 * go out.
 */
import { CoordinationV1Api, RegistryObjectApi, Watch, kubeJson } from '../../../translator/kube/index.js';
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
  const objects = RegistryObjectApi.forConfig(kc);
  const leases = new CoordinationV1Api(kc);
  const namespace = cluster.namespace;
  const configMaps = `/api/v1/namespaces/${namespace}/configmaps`;
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fenced', namespace }, data: { a: '1' } };
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'fenced', namespace }, stringData: { a: '1' } };
  const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'fenced', namespace }, spec: { holderIdentity: 'x' } };
  const names = async () => (await kubeJson<{ items: { metadata?: { name?: string } }[] }>(kc, { method: 'GET', path: configMaps })).items.map((c) => c.metadata?.name);
  proxy.reset();
  await expect(kubeJson(kc, { method: 'POST', path: configMaps, body: configMap })).rejects.toThrow(NotLeaderError);
  await expect(objects.patch(secret, undefined, undefined, 'test', true, 'application/apply-patch+yaml')).rejects.toThrow(NotLeaderError);
  await expect(leases.createNamespacedLease({ namespace, body: lease })).rejects.toThrow(NotLeaderError);
  await expect(objects.delete(secret)).rejects.toThrow(/DELETE \/api\/v1\/namespaces\/[^/]+\/secrets\/fenced refused: this bridge is not the leader/);
  expect(await names()).not.toContain('fenced');
  expect(proxy.requests.filter((r) => requestType(r) === 'write')).toEqual([]);
  expect(proxy.requests.every((r) => r.method === 'GET')).toBe(true);
  // A watch is a read (straight to the API: the proxy holds a watch's headers until its first event).
  let ended: unknown = 'running';
  const controller = await new Watch(fenceWrites(cluster.kc, () => false)).watch(configMaps, {}, () => undefined, (e) => (ended = e));
  expect(ended).toBe('running');
  controller.abort();
  expect(ended).toMatchObject({ name: 'AbortError' });
  open = true;
  await kubeJson(kc, { method: 'POST', path: configMaps, body: configMap });
  expect(await names()).toContain('fenced');
  expect(proxy.requests.filter((r) => requestType(r) === 'write')).toHaveLength(1);
  open = false;
  await expect(kubeJson(kc, { method: 'PUT', path: `${configMaps}/fenced`, body: configMap })).rejects.toThrow(NotLeaderError);
  expect(proxy.requests.filter((r) => requestType(r) === 'write')).toHaveLength(1);
});
