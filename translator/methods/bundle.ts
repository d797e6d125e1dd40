/**
 * Support bundles: a ZIP of what a support engineer needs about one device, as `iotedge
 * support-bundle` and edgeAgent's UploadSupportBundle give (Azure/iotedge edgelet/support-bundle,
 * edge-agent .../requests/SupportBundleRequestHandler.cs), for a device on Kubernetes:
 *
 * - `bridge/logs.txt`: the bridge's own recent log lines (when the caller has them);
 * - `logs/<moduleId>.log`: each module's log (newest pod, kubelet timestamps);
 * - `cluster/objects.json`: every object of the device's namespace of the kinds the bridge
 *   writes and reads, Secrets with their metadata only (their data is never read into a bundle);
 * - `cluster/events.json`: the namespace's events;
 * - `twin/reported.json`, `twin/desired.json`: the `$edgeAgent` properties;
 * - `check.json`: the results of the checks.
 *
 * Everything goes through {@link redactJson} / {@link redactText} first: registry passwords,
 * keys, tokens and connection strings are replaced by `[redacted]`.
 */
import { KINDS, type KubeJson } from '../kinds/index.js';
import { CoreV1Api, RegistryObjectApi, type KubeConfig } from '../kube/index.js';
import { isObject } from '../shared/index.js';
import { newestPod } from '../status/index.js';
import type { CheckResult } from './checks.js';
import type { DeviceCluster } from './cluster.js';
import { filterLines, parseKubeletLog } from './logs.js';
import { zip, type ZipEntry } from './zip.js';

export const REDACTED = '[redacted]';

/** Keys whose string values are secrets wherever they appear. */
const SECRET_KEYS = /^(password|passwd|pwd|secret|sharedaccesskey|primarykey|secondarykey|accountkey|privatekey|connectionstring|.*connectionstring|sasurl|sastoken|sas|token|accesstoken|authorization|signature)$/i;

/** Secrets in free text: connection string keys, SAS signatures and tokens, PEM private keys. */
export function redactText(text: string): string {
  return text
    .replace(/(SharedAccessKey|AccountKey|SharedAccessSignature|Password|Pwd)=[^;\s"'&]+/gi, `$1=${REDACTED}`)
    .replace(/\bsig=[^&\s"';]+/gi, `sig=${REDACTED}`)
    .replace(/SharedAccessSignature\s+sr=[^\s"']+/g, `SharedAccessSignature ${REDACTED}`)
    .replace(/-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, `-----BEGIN $1PRIVATE KEY-----${REDACTED}-----END $1PRIVATE KEY-----`);
}

/** A deep copy with secret-named values and secrets inside strings redacted; Secrets lose data and stringData. */
export function redactJson(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map(redactJson);
  if (!isObject(value)) return value;
  const isSecret = value.kind === 'Secret' && typeof value.apiVersion === 'string';
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (isSecret && (key === 'data' || key === 'stringData')) continue;
    if (key === 'kubectl.kubernetes.io/last-applied-configuration' || key === 'managedFields') continue;
    out[key] = SECRET_KEYS.test(key) && v !== null && typeof v !== 'object' && v !== '' ? REDACTED : redactJson(v);
  }
  return out;
}

/** What a bundle holds (before redaction). */
export interface BundleContent {
  generatedAt: Date;
  deviceId: string;
  namespace: string;
  /** Log text by module id. */
  moduleLogs: Record<string, string>;
  bridgeLogs?: string;
  objects: unknown[];
  events: unknown[];
  reported?: unknown;
  desired?: unknown;
  checks?: CheckResult[];
  /** Problems met while collecting (a part that could not be read). */
  problems: string[];
}

const json = (value: unknown): string => JSON.stringify(redactJson(value), null, 2) + '\n';

/** The ZIP of a bundle, redacted. */
export function supportBundleZip(content: BundleContent): Buffer {
  const entries: ZipEntry[] = [
    {
      name: 'README.txt',
      data: `iotedge-k8s support bundle of device ${content.deviceId} (namespace ${content.namespace}), generated ${content.generatedAt.toISOString()}.\nSecrets are redacted; Secrets' data is never included.\n${content.problems.length ? `\nNot collected:\n${content.problems.map((p) => `- ${redactText(p)}`).join('\n')}\n` : ''}`,
    },
    { name: 'bridge/logs.txt', data: redactText(content.bridgeLogs ?? 'the bridge logs were not available to this collector\n') },
    ...Object.entries(content.moduleLogs).map(([id, text]) => ({ name: `logs/${id.replace(/[^A-Za-z0-9._-]/g, '_')}.log`, data: redactText(text) })),
    { name: 'cluster/objects.json', data: json(content.objects) },
    { name: 'cluster/events.json', data: json(content.events) },
    { name: 'twin/reported.json', data: json(content.reported ?? null) },
    { name: 'twin/desired.json', data: json(content.desired ?? null) },
    { name: 'check.json', data: json(content.checks ?? []) },
  ];
  return zip(entries, content.generatedAt);
}

/** Time range of the logs in a bundle. */
export interface BundleRange {
  since?: Date;
  until?: Date;
}

/** A pod's log lines within the range, one `TIME text` line each; undefined when the log cannot be read. */
export async function podLogInRange(cluster: DeviceCluster, pod: Parameters<DeviceCluster['podLog']>[0], range: BundleRange): Promise<string | undefined> {
  const raw = await cluster.podLog(pod, range.since ? { since: range.since } : {});
  if (raw === undefined) return undefined;
  const lines = filterLines(parseKubeletLog(raw), { ...(range.since ? { since: range.since } : {}), ...(range.until ? { until: range.until } : {}) });
  return lines.map((l) => `${l.time ? l.time.toISOString() : '-'} ${l.text}\n`).join('');
}

/** The cluster part of a bundle: module logs, the namespace's objects (Secrets without data) and events. */
export async function collectClusterContent(
  kubeConfig: KubeConfig,
  cluster: DeviceCluster,
  range: BundleRange,
): Promise<Pick<BundleContent, 'moduleLogs' | 'objects' | 'events' | 'problems'>> {
  const problems: string[] = [];
  const moduleLogs: Record<string, string> = {};
  try {
    const pods = await cluster.podsByModule();
    for (const moduleId of [...pods.keys()].sort()) {
      const pod = newestPod(pods.get(moduleId) ?? []);
      if (!pod) continue;
      moduleLogs[moduleId] = (await podLogInRange(cluster, pod, range)) ?? '';
    }
  } catch (e) {
    problems.push(`module logs: ${(e as Error).message}`);
  }
  const objects: unknown[] = [];
  const api = RegistryObjectApi.forConfig(kubeConfig);
  for (const kind of KINDS.filter((k) => k.namespaced)) {
    try {
      const list = await api.list(kind.apiVersion, kind.kind, cluster.namespace);
      for (const item of list.items as KubeJson[]) {
        // Secrets: never their data, not even in memory longer than this line.
        objects.push(kind.kind === 'Secret' ? { apiVersion: 'v1', kind: 'Secret', metadata: item.metadata, type: (item as { type?: string }).type } : { apiVersion: kind.apiVersion, kind: kind.kind, ...item });
      }
    } catch (e) {
      problems.push(`${kind.kind} objects: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  let events: unknown[] = [];
  try {
    events = (await new CoreV1Api(kubeConfig).listNamespacedEvent({ namespace: cluster.namespace })).items;
  } catch (e) {
    problems.push(`events: ${(e as Error).message.split('\n')[0]}`);
  }
  return { moduleLogs, objects, events, problems };
}
