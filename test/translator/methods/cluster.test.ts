/** DeviceCluster's failures: one 500 MethodError naming what failed, through the client-error normaliser. */
import * as k8s from '@kubernetes/client-node';
import { kindSpec, type KindSpec, type WorkloadRules } from '../../../translator/kinds/index.js';
import { DeviceCluster, MethodError } from '../../../translator/methods/index.js';
import { openCluster, type TestCluster } from '../../support/cluster.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await openCluster('methods-cluster', { tls: false });
});

afterAll(async () => {
  await cluster?.close();
});

test('an API error names the operation, the status and the API message', async () => {
  const device = new DeviceCluster(cluster.kc, cluster.namespace, 'dev');
  const kind = kindSpec('Deployment') as KindSpec & { workload: WorkloadRules };
  const error = await device.rolloutRestart({ kind, object: { metadata: { name: 'nothere' } } }, new Date()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MethodError);
  expect(error).toMatchObject({ status: 500 });
  expect((error as Error).message).toMatch(/^restarting Deployment 'nothere' failed \(Kubernetes API 404\): .*nothere.* not found$/);
});

test('an unreachable API server is said so', async () => {
  const kc = new k8s.KubeConfig();
  kc.loadFromClusterAndUser({ name: 'gone', server: 'http://127.0.0.1:9', skipTLSVerify: true }, { name: 'nobody' });
  const device = new DeviceCluster(kc, 'ns', 'dev');
  const error = await device.podsByModule().catch((e: unknown) => e);
  expect(error).toMatchObject({ status: 500 });
  expect((error as Error).message).toMatch(/^listing pods failed: cannot reach the Kubernetes API: /);
});
