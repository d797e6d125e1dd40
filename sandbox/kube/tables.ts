/**
 * Server-side printing (meta.k8s.io/v1 Table) for `kubectl get`, with the columns
 * the real server prints for each kind (priority 1 columns show with `-o wide`).
 */
import type { ResourceType } from './resources.js';
import { isObject, type JsonObject, type KubeObject } from './types.js';

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  priority?: 1;
  format?: string;
  cell: (obj: KubeObject, now: number) => string | number;
}

/** Kubernetes' short human duration ("45s", "3m12s", "5h", "12d"). */
export function humanDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}

function since(time: unknown, now: number): string {
  if (typeof time !== 'string') return '<unknown>';
  const t = Date.parse(time);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

const name: Column = { name: 'Name', type: 'string', format: 'name', cell: (o) => o.metadata.name ?? '' };
const age: Column = { name: 'Age', type: 'string', cell: (o, now) => since(o.metadata.creationTimestamp, now) };

function get(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const part of path.split('.')) cur = isObject(cur) ? cur[part] : undefined;
  return cur;
}

function num(obj: unknown, path: string): number {
  return Number(get(obj, path) ?? 0);
}

function containers(obj: KubeObject, path: string): JsonObject[] {
  const list = get(obj, path);
  return Array.isArray(list) ? (list as JsonObject[]) : [];
}

function selectorText(selector: unknown): string {
  if (!isObject(selector)) return '<none>';
  const parts: string[] = [];
  if (isObject(selector.matchLabels)) for (const [k, v] of Object.entries(selector.matchLabels)) parts.push(`${k}=${String(v)}`);
  if (Array.isArray(selector.matchExpressions)) {
    for (const e of selector.matchExpressions as JsonObject[]) {
      const values = Array.isArray(e.values) ? (e.values as string[]).join(',') : '';
      if (e.operator === 'In') parts.push(`${String(e.key)} in (${values})`);
      else if (e.operator === 'NotIn') parts.push(`${String(e.key)} notin (${values})`);
      else if (e.operator === 'Exists') parts.push(String(e.key));
      else parts.push(`!${String(e.key)}`);
    }
  }
  return parts.length > 0 ? parts.join(',') : '<none>';
}

function podStatus(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  let reason = String(get(pod, 'status.reason') ?? get(pod, 'status.phase') ?? 'Unknown');
  for (const cs of containers(pod, 'status.containerStatuses')) {
    const waiting = get(cs, 'state.waiting.reason');
    const terminated = get(cs, 'state.terminated');
    if (typeof waiting === 'string' && waiting !== '') reason = waiting;
    else if (isObject(terminated)) reason = String(terminated.reason ?? (terminated.exitCode !== undefined ? `ExitCode:${String(terminated.exitCode)}` : 'Terminated'));
  }
  return reason;
}

function workloadWide(templatePath: string): Column[] {
  return [
    { name: 'Containers', type: 'string', priority: 1, cell: (o) => containers(o, `${templatePath}.containers`).map((c) => String(c.name)).join(',') },
    { name: 'Images', type: 'string', priority: 1, cell: (o) => containers(o, `${templatePath}.containers`).map((c) => String(c.image)).join(',') },
    { name: 'Selector', type: 'string', priority: 1, cell: (o) => selectorText(get(o, 'spec.selector')) },
  ];
}

function servicePorts(svc: KubeObject): string {
  const ports = containers(svc, 'spec.ports');
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${String(p.port)}${p.nodePort ? `:${String(p.nodePort)}` : ''}/${String(p.protocol ?? 'TCP')}`).join(',');
}

function externalIP(svc: KubeObject): string {
  const type = get(svc, 'spec.type');
  const ingress = get(svc, 'status.loadBalancer.ingress');
  const ips = Array.isArray(ingress) ? (ingress as JsonObject[]).map((i) => String(i.ip ?? i.hostname ?? '')).filter(Boolean) : [];
  if (type === 'LoadBalancer') return ips.length > 0 ? ips.join(',') : '<pending>';
  if (type === 'ExternalName') return String(get(svc, 'spec.externalName') ?? '');
  return '<none>';
}

function jobStatus(job: KubeObject): string {
  const conditions = containers(job, 'status.conditions');
  const has = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (get(job, 'spec.suspend') === true) return 'Suspended';
  return 'Running';
}

const COLUMNS: Record<string, Column[]> = {
  Pod: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => {
        const cs = containers(o, 'status.containerStatuses');
        return `${cs.filter((c) => c.ready === true).length}/${containers(o, 'spec.containers').length}`;
      },
    },
    { name: 'Status', type: 'string', cell: podStatus },
    {
      name: 'Restarts',
      type: 'string',
      cell: (o, now) => {
        const cs = containers(o, 'status.containerStatuses');
        const restarts = cs.reduce((n, c) => n + Number(c.restartCount ?? 0), 0);
        const last = cs.map((c) => get(c, 'lastState.terminated.finishedAt')).filter((t): t is string => typeof t === 'string').sort().pop();
        return restarts > 0 && last ? `${restarts} (${since(last, now)} ago)` : String(restarts);
      },
    },
    age,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => String(get(o, 'status.podIP') ?? '<none>') },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => String(get(o, 'spec.nodeName') ?? '<none>') },
    { name: 'Nominated Node', type: 'string', priority: 1, cell: () => '<none>' },
    { name: 'Readiness Gates', type: 'string', priority: 1, cell: () => '<none>' },
  ],
  Deployment: [
    name,
    { name: 'Ready', type: 'string', cell: (o) => `${num(o, 'status.readyReplicas')}/${num(o, 'spec.replicas')}` },
    { name: 'Up-to-date', type: 'integer', cell: (o) => num(o, 'status.updatedReplicas') },
    { name: 'Available', type: 'integer', cell: (o) => num(o, 'status.availableReplicas') },
    age,
    ...workloadWide('spec.template.spec'),
  ],
  ReplicaSet: [
    name,
    { name: 'Desired', type: 'integer', cell: (o) => num(o, 'spec.replicas') },
    { name: 'Current', type: 'integer', cell: (o) => num(o, 'status.replicas') },
    { name: 'Ready', type: 'integer', cell: (o) => num(o, 'status.readyReplicas') },
    age,
    ...workloadWide('spec.template.spec'),
  ],
  Job: [
    name,
    { name: 'Status', type: 'string', cell: jobStatus },
    { name: 'Completions', type: 'string', cell: (o) => `${num(o, 'status.succeeded')}/${num(o, 'spec.completions') || 1}` },
    {
      name: 'Duration',
      type: 'string',
      cell: (o, now) => {
        const start = get(o, 'status.startTime');
        if (typeof start !== 'string') return '';
        const end = get(o, 'status.completionTime');
        return humanDuration((typeof end === 'string' ? Date.parse(end) : now) - Date.parse(start));
      },
    },
    age,
    ...workloadWide('spec.template.spec'),
  ],
  Service: [
    name,
    { name: 'Type', type: 'string', cell: (o) => String(get(o, 'spec.type') ?? 'ClusterIP') },
    { name: 'Cluster-IP', type: 'string', cell: (o) => String(get(o, 'spec.clusterIP') ?? '<none>') },
    { name: 'External-IP', type: 'string', cell: externalIP },
    { name: 'Port(s)', type: 'string', cell: servicePorts },
    age,
    { name: 'Selector', type: 'string', priority: 1, cell: (o) => (isObject(get(o, 'spec.selector')) ? selectorText({ matchLabels: get(o, 'spec.selector') }) : '<none>') },
  ],
  Namespace: [name, { name: 'Status', type: 'string', cell: (o) => String(get(o, 'status.phase') ?? 'Active') }, age],
  Node: [
    name,
    {
      name: 'Status',
      type: 'string',
      cell: (o) => (containers(o, 'status.conditions').some((c) => c.type === 'Ready' && c.status === 'True') ? 'Ready' : 'NotReady'),
    },
    {
      name: 'Roles',
      type: 'string',
      cell: (o) =>
        Object.keys(o.metadata.labels ?? {})
          .filter((k) => k.startsWith('node-role.kubernetes.io/'))
          .map((k) => k.slice('node-role.kubernetes.io/'.length))
          .join(',') || '<none>',
    },
    age,
    { name: 'Version', type: 'string', cell: (o) => String(get(o, 'status.nodeInfo.kubeletVersion') ?? '') },
    {
      name: 'Internal-IP',
      type: 'string',
      priority: 1,
      cell: (o) => String(containers(o, 'status.addresses').find((a) => a.type === 'InternalIP')?.address ?? '<none>'),
    },
    { name: 'External-IP', type: 'string', priority: 1, cell: () => '<none>' },
    { name: 'OS-Image', type: 'string', priority: 1, cell: (o) => String(get(o, 'status.nodeInfo.osImage') ?? '') },
    { name: 'Kernel-Version', type: 'string', priority: 1, cell: (o) => String(get(o, 'status.nodeInfo.kernelVersion') ?? '') },
    { name: 'Container-Runtime', type: 'string', priority: 1, cell: (o) => String(get(o, 'status.nodeInfo.containerRuntimeVersion') ?? '') },
  ],
  Event: [
    { name: 'Last Seen', type: 'string', cell: (o, now) => since(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp, now) },
    { name: 'Type', type: 'string', cell: (o) => String(o.type ?? '') },
    { name: 'Reason', type: 'string', cell: (o) => String(o.reason ?? '') },
    { name: 'Object', type: 'string', cell: (o) => `${String(get(o, 'involvedObject.kind') ?? '').toLowerCase()}/${String(get(o, 'involvedObject.name') ?? '')}` },
    { name: 'Message', type: 'string', cell: (o) => String(o.message ?? '') },
  ],
  ConfigMap: [name, { name: 'Data', type: 'integer', cell: (o) => Object.keys(isObject(o.data) ? o.data : {}).length + Object.keys(isObject(o.binaryData) ? o.binaryData : {}).length }, age],
  Secret: [
    name,
    { name: 'Type', type: 'string', cell: (o) => String(o.type ?? 'Opaque') },
    { name: 'Data', type: 'integer', cell: (o) => Object.keys(isObject(o.data) ? o.data : {}).length },
    age,
  ],
  ServiceAccount: [name, { name: 'Secrets', type: 'integer', cell: (o) => (Array.isArray(o.secrets) ? o.secrets.length : 0) }, age],
  PersistentVolumeClaim: [
    name,
    { name: 'Status', type: 'string', cell: (o) => String(get(o, 'status.phase') ?? 'Pending') },
    { name: 'Volume', type: 'string', cell: (o) => String(get(o, 'spec.volumeName') ?? '') },
    { name: 'Capacity', type: 'string', cell: (o) => String(get(o, 'status.capacity.storage') ?? '') },
    { name: 'Access Modes', type: 'string', cell: (o) => (Array.isArray(get(o, 'spec.accessModes')) ? (get(o, 'spec.accessModes') as string[]).join(',') : '') },
    { name: 'StorageClass', type: 'string', cell: (o) => String(get(o, 'spec.storageClassName') ?? '<unset>') },
    age,
  ],
  PersistentVolume: [
    name,
    { name: 'Capacity', type: 'string', cell: (o) => String(get(o, 'spec.capacity.storage') ?? '') },
    { name: 'Reclaim Policy', type: 'string', cell: (o) => String(get(o, 'spec.persistentVolumeReclaimPolicy') ?? '') },
    { name: 'Status', type: 'string', cell: (o) => String(get(o, 'status.phase') ?? '') },
    age,
  ],
  Lease: [name, { name: 'Holder', type: 'string', cell: (o) => String(get(o, 'spec.holderIdentity') ?? '') }, age],
};

/** Which object the rows carry, as the `includeObject` parameter says. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** A meta.k8s.io/v1 Table for the objects. */
export function toTable(type: ResourceType, objects: KubeObject[], include: IncludeObject, listMeta: JsonObject, now = Date.now()): JsonObject {
  const columns = COLUMNS[type.kind] ?? [name, age];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.name,
      priority: c.priority ?? 0,
    })),
    rows: objects.map((o) => ({
      cells: columns.map((c) => c.cell(o, now)),
      object:
        include === 'None'
          ? undefined
          : include === 'Object'
            ? o
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
