/**
 * `iotedge-k8s support-bundle [--output FILE] [--since T] [--until T]`: a ZIP of the device's
 * module logs, namespace objects (Secrets without data) and events, `$edgeAgent` properties and
 * check results, every secret redacted (see translator/methods/bundle.ts), as `iotedge
 * support-bundle` writes `support_bundle.zip` (Azure/iotedge edgelet/iotedge/src/support_bundle.rs).
 *
 * Locally it is collected from the cluster in this process. Remotely the device collects it
 * itself: edgeAgent's UploadSupportBundle with `--sas-url` (a container SAS URL), then
 * GetTaskStatus until the task ends, then the blob is downloaded to `--output` (the SAS must
 * allow list and read for that).
 */
import { constants } from 'node:fs';
import { access, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import { DeviceCluster, SupportBundles, parseLogTime, podLogInRange, supportBundleZip, type TaskStatusResponse } from '../methods/index.js';
import { scrubSecrets } from '../twin/index.js';
import { checkResults, type CheckFlags } from './check.js';
import { bridgePod } from './agent.js';
import type { LocalDevice, RemoteDevice } from './device.js';
import { DeviceVerbError } from './errors.js';

export interface SupportBundleFlags {
  output: string;
  since?: string;
  until?: string;
  /** Remote: the container SAS URL the device uploads to. */
  sasUrl?: string;
  /** Remote: longest wait for the device's task. @default 300000 */
  timeoutMs?: number;
}

function range(flags: SupportBundleFlags, now: Date): { since?: Date; until?: Date } {
  try {
    return {
      ...(flags.since ? { since: parseLogTime(flags.since, 'since', now) } : {}),
      ...(flags.until ? { until: parseLogTime(flags.until, 'until', now) } : {}),
    };
  } catch (e) {
    throw new DeviceVerbError(`--since/--until: ${(e as Error).message.replace(/^GetModuleLogs: /, '')}`);
  }
}

/**
 * Collects the bundle from the cluster and writes it; returns the line to print. Its checks are a
 * local `check`'s, the IoT Hub ones with the device's own credential.
 */
export async function localSupportBundle(device: LocalDevice, flags: SupportBundleFlags & CheckFlags, now: Date, caPem?: string): Promise<string> {
  const cluster = new DeviceCluster(device.kubeConfig, device.namespace, device.deviceId);
  const bundles = new SupportBundles(device.kubeConfig, cluster, { deviceId: device.deviceId, iotHub: '' }, {});
  const when = range(flags, now);
  const checks = await checkResults({ ...flags, deviceId: device.deviceId }, now, caPem);
  const content = await bundles.content(when, now, checks);
  const bridge = await bridgeLog(device, cluster, when);
  if (bridge.text !== undefined) content.bridgeLogs = bridge.text;
  else content.problems.push(`bridge logs: ${bridge.why}`);
  content.problems.push("twin: IoT Hub holds the $edgeAgent twin, which a local bundle does not read (a remote bundle, --hub-connection-string CS --device-id ID --sas-url URL, has it)");
  const zip = supportBundleZip(content);
  await writeOutput(flags.output, zip);
  return `Created support bundle at ${flags.output} (${zip.length} bytes)\n`;
}

/** The log of the bridge's pod (the bridge installed in the cluster), or why there is none. */
async function bridgeLog(device: LocalDevice, cluster: DeviceCluster, when: { since?: Date; until?: Date }): Promise<{ text?: string; why?: string }> {
  const pod = bridgePod(await device.bridgePods());
  if (!pod) return { why: `no bridge pod in namespace '${device.namespace}': a bridge outside the cluster keeps its log where it runs (a remote bundle has its recent lines)` };
  const text = await podLogInRange(cluster, pod as Parameters<DeviceCluster['podLog']>[0], when);
  return text === undefined ? { why: `the log of pod ${pod.metadata?.name ?? ''} cannot be read` } : { text };
}

async function writeOutput(path: string, data: Buffer): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (e) {
    throw new DeviceVerbError(`cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? 'write error'})`);
  }
}

/**
 * Fails as writing `path` would (a missing folder, a folder, no permission), with the same
 * line, so that a remote bundle is not collected and uploaded only to be lost at the end.
 */
async function assertWritable(path: string): Promise<void> {
  const fail = (code: string | undefined): never => {
    throw new DeviceVerbError(`cannot write ${path} (${code ?? 'write error'})`);
  };
  const existing = await stat(path).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : fail(e.code)));
  if (existing?.isDirectory()) fail('EISDIR');
  const folder = existing ? undefined : await stat(dirname(path)).catch((e: NodeJS.ErrnoException) => fail(e.code));
  if (folder && !folder.isDirectory()) fail('ENOTDIR');
  await access(existing ? path : dirname(path), constants.W_OK).catch((e: NodeJS.ErrnoException) => fail(e.code));
}

/** Asks the device to upload its bundle, waits for the task and downloads the blob. */
export async function remoteSupportBundle(device: RemoteDevice, flags: SupportBundleFlags, now: Date, pollMs = 500): Promise<string> {
  if (!flags.sasUrl) throw new DeviceVerbError('a remote support bundle needs --sas-url: the device uploads it to that Azure Blob container (SAS with create, write, list and read)');
  range(flags, now);
  await assertWritable(flags.output);
  const answer = await device.call('UploadSupportBundle', { schemaVersion: '1.0', sasUrl: flags.sasUrl, ...(flags.since ? { since: flags.since } : {}), ...(flags.until ? { until: flags.until } : {}) });
  if (answer.status !== 200) throw new DeviceVerbError((answer.payload as { message?: string } | null)?.message ?? `UploadSupportBundle answered ${answer.status}`);
  const { correlationId } = answer.payload as TaskStatusResponse;
  const deadline = Date.now() + (flags.timeoutMs ?? 300_000);
  let status: TaskStatusResponse;
  for (;;) {
    const s = await device.call('GetTaskStatus', { schemaVersion: '1.0', correlationId });
    status = s.payload as TaskStatusResponse;
    if (status.status !== 'NotStarted' && status.status !== 'Running') break;
    if (Date.now() > deadline) throw new DeviceVerbError(`the device's support bundle task ${correlationId} did not finish in time (still ${status.status})`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
  if (status.status !== 'Completed') throw new DeviceVerbError(`the device's support bundle task ${correlationId} ended ${status.status}: ${status.message}`);
  // The newest bundle of this device in the container (edgeAgent's naming: HUB/DEVICE/support-bundle-STAMP.zip).
  try {
    const container = new ContainerClient(flags.sasUrl);
    let newest: { name: string; at: number } | undefined;
    for await (const blob of container.listBlobsFlat()) {
      const parts = blob.name.split('/');
      if (parts[1] !== device.deviceId || !parts[2]?.startsWith('support-bundle-')) continue;
      const at = blob.properties.lastModified?.getTime() ?? 0;
      if (!newest || at >= newest.at) newest = { name: blob.name, at };
    }
    if (!newest) throw new DeviceVerbError(`the task completed but no support bundle of '${device.deviceId}' is in the container`);
    const data = await container.getBlobClient(newest.name).downloadToBuffer();
    await writeOutput(flags.output, data);
    return `Created support bundle at ${flags.output} (${data.length} bytes; uploaded by the device as ${newest.name}, task ${correlationId})\n`;
  } catch (e) {
    if (e instanceof DeviceVerbError) throw e;
    throw new DeviceVerbError(`the device uploaded its bundle (task ${correlationId}) but it cannot be downloaded with this SAS: ${scrubSecrets((e as Error).message).split('\n')[0]}`);
  }
}
