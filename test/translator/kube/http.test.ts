/**
 * translator/kube's requests, watches and typed calls against the Kubernetes API emulator over
 * HTTPS (its kubeconfig carries the CA), configured by KubeConfigLoader as `run` does; failures
 * are read by reconcile's error normaliser as client-node's were.
 */
import { startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { ApiException, CoreV1Api, KubeConfigLoader, PatchStrategy, RegistryObjectApi, Watch, kubeJson } from '../../../translator/kube/index.js';
import { KubeApiError, KubeConnectionError, toKubeError } from '../../../translator/reconcile/index.js';
import { waitFor } from '../../support/wait.js';

let emulator: KubeEmulator;
let kc: KubeConfigLoader;
const namespace = 'kube-client';

beforeAll(async () => {
  emulator = await startKubeEmulator({});
  kc = new KubeConfigLoader();
  kc.loadFromString(emulator.kubeconfig);
  await new CoreV1Api(kc).createNamespace({ body: { metadata: { name: namespace } } });
}, 30_000);

afterAll(async () => {
  await emulator?.stop();
});

const labels = { 'app.kubernetes.io/managed-by': 'iotedge-k8s' };

it('applies, lists by label and deletes objects of the kind registry over HTTPS', async () => {
  expect(kc.getCurrentCluster()?.server).toMatch(/^https:/);
  const objects = RegistryObjectApi.forConfig(kc);
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1', namespace, labels }, stringData: { a: '1' } };
  const applied = await objects.patch(secret, undefined, undefined, 'test', true, PatchStrategy.ServerSideApply);
  expect((applied.metadata as { resourceVersion?: string }).resourceVersion).toBeTruthy();
  const listed = await objects.list('v1', 'Secret', namespace, undefined, undefined, undefined, undefined, 'app.kubernetes.io/managed-by=iotedge-k8s');
  expect(listed.items.map((s) => s.metadata?.name)).toEqual(['s1']);
  expect((await new CoreV1Api(kc).readNamespacedSecret({ name: 's1', namespace })).data).toEqual({ a: Buffer.from('1').toString('base64') });
  await objects.delete(secret);
  expect((await objects.list('v1', 'Secret', namespace)).items).toEqual([]);
  expect(() => objects.list('v1', 'ConfigMap', namespace)).toThrow(/not a kind of the kind registry/);
});

it('an answer outside 2xx is an ApiException the error normaliser reads (status, reason, message)', async () => {
  const failure = await new CoreV1Api(kc).readNamespacedSecret({ name: 'missing', namespace }).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(ApiException);
  expect((failure as ApiException).code).toBe(404);
  // The body (which for a Secret may echo values) is kept apart from the message.
  expect((failure as ApiException).message).toBe(`the Kubernetes API answered GET /api/v1/namespaces/${namespace}/secrets/missing with HTTP 404`);
  expect(JSON.parse((failure as ApiException).body)).toMatchObject({ kind: 'Status', code: 404 });
  const typed = toKubeError(failure, 'read Secret/missing');
  expect(typed).toBeInstanceOf(KubeApiError);
  expect(typed).toMatchObject({ status: 404, reason: 'NotFound' });
});

it('a server that does not answer is a connection failure', async () => {
  const gone = new KubeConfigLoader();
  gone.loadFromString(emulator.kubeconfig.replace(/server: https:\/\/[^\s]+/, 'server: https://127.0.0.1:1'));
  const failure = await kubeJson(gone, { method: 'GET', path: '/api/v1/namespaces' }).catch((e: unknown) => e);
  expect(toKubeError(failure, 'list Namespace')).toBeInstanceOf(KubeConnectionError);
});

it('watches: resolves once the server answered, delivers events, ends with AbortError when aborted and with null when the server ends it', async () => {
  const events: string[] = [];
  let ended: unknown = 'running';
  const path = `/api/v1/namespaces/${namespace}/secrets`;
  const controller = await new Watch(kc).watch(path, {}, (type, object: { metadata?: { name?: string } }) => events.push(`${type} ${object.metadata?.name}`), (e) => (ended = e));
  await kubeJson(kc, { method: 'POST', path, body: { metadata: { name: 'watched' } } });
  await waitFor('the ADDED event', async () => (events.includes('ADDED watched') ? true : undefined), 5000);
  expect(ended).toBe('running');
  controller.abort();
  expect(ended).toMatchObject({ name: 'AbortError' });

  let endedByServer: unknown = 'running';
  await new Watch(kc).watch(path, { timeoutSeconds: 1 }, () => undefined, (e) => (endedByServer = e));
  await waitFor('the server ends the watch', async () => (endedByServer !== 'running' ? true : undefined), 5000);
  expect(endedByServer).toBeNull();

  let refused: unknown;
  await new Watch(kc).watch('/api/v1/namespaces/x/nosuchkind', {}, () => undefined, (e) => (refused = e));
  expect(refused).toMatchObject({ statusCode: 404 });
});
