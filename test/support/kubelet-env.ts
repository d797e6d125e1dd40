/**
 * The environment a kubelet gives a module's container, for tests that run a module's code as a
 * local process with what the bridge put in the cluster: the Deployment's first container's env
 * (`secretKeyRef` values read from their Secrets through the Kubernetes API), with its Secret
 * volumes written under `volumesDir` and paths into them rewritten to where they were written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';

export async function kubeletEnvironment(kc: k8s.KubeConfig, namespace: string, deploymentName: string, volumesDir: string): Promise<Record<string, string>> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const pod = (await apps.readNamespacedDeployment({ name: deploymentName, namespace })).spec!.template.spec!;
  const container = pod.containers[0]!;
  const mounts = new Map<string, string>();
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.volumes!.find((v) => v.name === mount.name)!;
    if (!volume.secret) continue;
    const secret = await core.readNamespacedSecret({ name: volume.secret.secretName!, namespace });
    const hostDir = join(volumesDir, mount.name);
    mkdirSync(hostDir, { recursive: true });
    for (const [key, value] of Object.entries(secret.data ?? {})) writeFileSync(join(hostDir, key), Buffer.from(value, 'base64'));
    mounts.set(mount.mountPath, hostDir);
  }
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      const secret = await core.readNamespacedSecret({ name: ref.name!, namespace });
      env[e.name] = Buffer.from(secret.data![ref.key]!, 'base64').toString('utf8');
    } else {
      let value = e.value ?? '';
      // The container sees the mount at mountPath; this process sees it where it was written.
      for (const [mountPath, hostDir] of mounts) if (value.startsWith(`${mountPath}/`)) value = hostDir + value.slice(mountPath.length);
      env[e.name] = value;
    }
  }
  return env;
}
