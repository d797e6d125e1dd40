/**
 * The upload methods' work: UploadModuleLogs writes one blob per module, UploadSupportBundle one
 * ZIP, each in a background task (tasks.ts) whose status GetTaskStatus answers. The answer of
 * both methods is edgeAgent's TaskStatusResponse `{status, message, correlationId}` with status
 * 200 (edge-agent .../requests/ModuleLogsUploadRequestHandler.cs, SupportBundleRequestHandler.cs).
 */
import type { KubeConfig } from '../kube/index.js';
import type { ModuleClient } from 'azure-iot-device';
import { collectClusterContent, supportBundleZip, type BundleContent, type BundleRange } from './bundle.js';
import { withHubChecks, type CheckFacts, type CheckResult } from './checks.js';
import { deviceChecks } from './device-checks.js';
import type { DeviceCluster } from './cluster.js';
import type { LogSource } from './logs.js';
import type { TaskRunner, TaskStatusResponse } from './tasks.js';
import { blobName, moduleLogBlobs, parseUploadModuleLogs, parseUploadSupportBundle, uploadBlob } from './uploads.js';

/** The Secret and key of the edgeHub server certificate (translator/identities writes it). */
export const EDGEHUB_CERTIFICATE = { name: 'iotedge-k8s-edgehub-server', key: 'server.pem' } as const;

export interface SupportBundleOptions {
  /** The bridge's recent log lines, for `bridge/logs.txt`. */
  bridgeLogs?: () => string;
  /** Longest run of an upload task. @default DEFAULT_TASK_TIMEOUT_MS */
  taskTimeoutMs?: number;
  /** Where the edgeHub certificate is. @default EDGEHUB_CERTIFICATE */
  edgeHubCertificate?: { name: string; key: string };
}

/** Twin properties as the device reads them. */
interface TwinProperties {
  desired?: Record<string, unknown>;
  reported?: Record<string, unknown>;
}

/** Without `$version` and `$metadata`. */
function plain(properties: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!properties) return undefined;
  return Object.fromEntries(Object.entries(properties).filter(([k, v]) => !k.startsWith('$') && typeof v !== 'function'));
}

export class SupportBundles {
  private client?: ModuleClient;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly cluster: DeviceCluster,
    private readonly source: LogSource,
    private readonly options: SupportBundleOptions,
  ) {}

  /** The `$edgeAgent` client whose twin a bundle includes. */
  useTwinOf(client: ModuleClient): void {
    this.client = client;
  }

  uploadModuleLogs(tasks: TaskRunner, payload: unknown, now: Date): TaskStatusResponse {
    const request = parseUploadModuleLogs(payload, now);
    return tasks.start('upload logs', async (signal) => {
      const blobs = await moduleLogBlobs(this.cluster, request, this.source, now);
      await Promise.all(blobs.map((blob) => uploadBlob(request.sasUrl, blob, signal)));
    });
  }

  uploadSupportBundle(tasks: TaskRunner, payload: unknown, now: Date): TaskStatusResponse {
    const request = parseUploadSupportBundle(payload, now);
    return tasks.start('upload support bundle', async (signal) => {
      const data = supportBundleZip(await this.content({ ...(request.since ? { since: request.since } : {}), ...(request.until ? { until: request.until } : {}) }, now));
      await uploadBlob(request.sasUrl, { name: blobName(this.source.iotHub, this.source.deviceId, 'support-bundle', 'zip', now), data, contentType: 'application/zip', contentEncoding: 'zip' }, signal);
    });
  }

  /**
   * The bundle's content seen from the device: the cluster, the twin through the device's own
   * connection, the checks (`checks` when the caller ran them already, as a local
   * `support-bundle` does with the device's credential).
   */
  async content(range: BundleRange, now: Date, checks?: CheckResult[]): Promise<BundleContent> {
    const cluster = await collectClusterContent(this.kubeConfig, this.cluster, range);
    let twin: TwinProperties | undefined;
    let hub: CheckFacts['hub'];
    if (this.client) {
      try {
        const t = await this.client.getTwin();
        twin = { desired: plain(t.properties.desired as Record<string, unknown>), reported: plain(t.properties.reported as Record<string, unknown>) };
        hub = { ok: true, value: {} };
      } catch (e) {
        hub = { ok: false, error: `reading the twin failed: ${(e as Error).name}` };
        cluster.problems.push('twin: the device could not read its twin');
      }
    }
    checks ??= await this.ownChecks(hub, twin, now);
    return {
      generatedAt: now,
      deviceId: this.source.deviceId,
      namespace: this.cluster.namespace,
      ...cluster,
      ...(this.options.bridgeLogs ? { bridgeLogs: this.options.bridgeLogs() } : {}),
      ...(twin ? { reported: twin.reported, desired: twin.desired } : {}),
      checks,
    };
  }

  /** The checks as `check` runs them: the device-side ones from the cluster, the IoT Hub ones from the twin read. */
  private async ownChecks(hub: CheckFacts['hub'], twin: TwinProperties | undefined, now: Date): Promise<CheckResult[]> {
    const device = await deviceChecks({ kubeConfig: this.kubeConfig, namespace: this.cluster.namespace, deviceId: this.source.deviceId, edgeHubCertificate: this.options.edgeHubCertificate ?? EDGEHUB_CERTIFICATE, now });
    return withHubChecks(device, { ...(hub ? { hub } : {}), localTime: now, ...(twin?.reported ? { reported: twin.reported } : {}) });
  }
}
