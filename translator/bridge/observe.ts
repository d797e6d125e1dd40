/** What the status stage reads from the cluster: the device's pods, workloads and Services. */
import type { KubeConfig } from '@kubernetes/client-node';
import { AppsV1Api, BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { ObservedObjects } from '../status/index.js';
import { ownedSelector } from '../translate/index.js';

/** Lists the owned objects the status stage needs, as plain JSON. */
export async function listObserved(kubeConfig: KubeConfig, namespace: string, deviceId: string): Promise<ObservedObjects> {
  const labelSelector = ownedSelector(deviceId);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const [pods, deployments, jobs, services] = await Promise.all([
    core.listNamespacedPod({ namespace, labelSelector }),
    apps.listNamespacedDeployment({ namespace, labelSelector }),
    batch.listNamespacedJob({ namespace, labelSelector }),
    core.listNamespacedService({ namespace, labelSelector }),
  ]);
  // The status stage reads plain JSON; the client's typed objects carry Date instances.
  const plain = <T>(items: unknown[]): T[] => JSON.parse(JSON.stringify(items)) as T[];
  return {
    pods: plain(pods.items),
    deployments: plain(deployments.items),
    jobs: plain(jobs.items),
    services: plain(services.items),
  };
}
