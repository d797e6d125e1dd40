/**
 * Defaulting as the real API server does it for the served kinds. Mutates the
 * object in place; allocation of cluster IPs and node ports goes through `alloc`.
 */
import type { ResourceType } from './resources.js';
import { isObject, type JsonObject, type KubeObject } from './types.js';

/** Allocates Service cluster IPs and node ports. */
export interface ServiceAllocator {
  clusterIP(): string;
  nodePort(): number;
  /** Marks a user-chosen node port as used. */
  reserveNodePort(port: number): void;
}

function setDefault(obj: JsonObject, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

function child(obj: JsonObject, key: string): JsonObject {
  if (!isObject(obj[key])) obj[key] = {};
  return obj[key] as JsonObject;
}

/** imagePullPolicy by tag: Always for `:latest` or no tag, otherwise IfNotPresent. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastPart.lastIndexOf(':');
  if (colon < 0) return 'Always';
  return lastPart.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(container: unknown): void {
  if (!isObject(container)) return;
  setDefault(container, 'terminationMessagePath', '/dev/termination-log');
  setDefault(container, 'terminationMessagePolicy', 'File');
  if (typeof container.image === 'string') setDefault(container, 'imagePullPolicy', defaultPullPolicy(container.image));
  setDefault(container, 'resources', {});
  if (Array.isArray(container.ports)) for (const port of container.ports) if (isObject(port)) setDefault(port, 'protocol', 'TCP');
}

/** Pod spec defaults (also used for templates). */
export function defaultPodSpec(spec: JsonObject): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const list of ['containers', 'initContainers']) {
    if (Array.isArray(spec[list])) for (const c of spec[list] as unknown[]) defaultContainer(c);
  }
  if (Array.isArray(spec.volumes)) {
    for (const v of spec.volumes) {
      if (isObject(v) && isObject(v.configMap)) setDefault(v.configMap, 'defaultMode', 420);
      if (isObject(v) && isObject(v.secret)) setDefault(v.secret, 'defaultMode', 420);
    }
  }
}

function defaultTemplate(spec: JsonObject): void {
  const template = child(spec, 'template');
  const podSpec = child(template, 'spec');
  defaultPodSpec(podSpec);
}

function defaultService(spec: JsonObject, old: JsonObject | undefined, alloc: ServiceAllocator): void {
  setDefault(spec, 'type', 'ClusterIP');
  const type = spec.type;
  if (type === 'ExternalName') return;
  setDefault(spec, 'sessionAffinity', 'None');
  if (old && (spec.clusterIP === undefined || spec.clusterIP === '')) {
    spec.clusterIP = old.clusterIP;
    spec.clusterIPs = old.clusterIPs;
  }
  if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = alloc.clusterIP();
  setDefault(spec, 'clusterIPs', [spec.clusterIP]);
  setDefault(spec, 'ipFamilies', ['IPv4']);
  setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
  setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  const needsNodePort = type === 'NodePort' || type === 'LoadBalancer';
  if (needsNodePort) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  const oldPorts = old && Array.isArray(old.ports) ? (old.ports as JsonObject[]) : [];
  if (Array.isArray(spec.ports)) {
    for (const port of spec.ports) {
      if (!isObject(port)) continue;
      setDefault(port, 'protocol', 'TCP');
      setDefault(port, 'targetPort', port.port);
      if (!needsNodePort) continue;
      if (port.nodePort === undefined || port.nodePort === 0) {
        const previous = oldPorts.find((p) => isObject(p) && p.port === port.port && (p.protocol ?? 'TCP') === port.protocol);
        port.nodePort = typeof previous?.nodePort === 'number' ? previous.nodePort : alloc.nodePort();
      } else if (typeof port.nodePort === 'number') alloc.reserveNodePort(port.nodePort);
    }
  }
}

const JOB_UID_LABEL = 'batch.kubernetes.io/controller-uid';

function defaultJob(obj: KubeObject, spec: JsonObject): void {
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'completions', 1);
  setDefault(spec, 'backoffLimit', 6);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'podReplacementPolicy', 'TerminatingOrFailed');
  const uid = obj.metadata.uid ?? '';
  if (!spec.manualSelector && !isObject(spec.selector)) spec.selector = { matchLabels: { [JOB_UID_LABEL]: uid } };
  const template = child(spec, 'template');
  const meta = child(template, 'metadata');
  const labels = child(meta, 'labels');
  setDefault(labels, JOB_UID_LABEL, uid);
  setDefault(labels, 'batch.kubernetes.io/job-name', obj.metadata.name);
  setDefault(labels, 'controller-uid', uid);
  setDefault(labels, 'job-name', obj.metadata.name);
  defaultPodSpec(child(template, 'spec'));
}

/** Applies the server defaults of `type` to `obj` (after uid and name are set). */
export function applyDefaults(type: ResourceType, obj: KubeObject, old: KubeObject | undefined, alloc: ServiceAllocator): void {
  const spec = obj.spec ?? {};
  switch (type.kind) {
    case 'Pod':
      obj.spec = spec;
      defaultPodSpec(spec);
      setDefault(spec, 'serviceAccountName', 'default');
      setDefault(spec, 'serviceAccount', spec.serviceAccountName);
      setDefault(spec, 'enableServiceLinks', true);
      setDefault(spec, 'priority', 0);
      setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
      break;
    case 'Deployment': {
      obj.spec = spec;
      setDefault(spec, 'replicas', 1);
      const strategy = child(spec, 'strategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') {
        const rolling = child(strategy, 'rollingUpdate');
        setDefault(rolling, 'maxUnavailable', '25%');
        setDefault(rolling, 'maxSurge', '25%');
      }
      setDefault(spec, 'revisionHistoryLimit', 10);
      setDefault(spec, 'progressDeadlineSeconds', 600);
      defaultTemplate(spec);
      break;
    }
    case 'ReplicaSet':
      obj.spec = spec;
      setDefault(spec, 'replicas', 1);
      defaultTemplate(spec);
      break;
    case 'Job':
      obj.spec = spec;
      defaultJob(obj, spec);
      break;
    case 'Service':
      obj.spec = spec;
      defaultService(spec, old && isObject(old.spec) ? old.spec : undefined, alloc);
      if (!isObject(obj.status)) obj.status = { loadBalancer: {} };
      break;
    case 'Namespace': {
      obj.spec = spec;
      setDefault(spec, 'finalizers', ['kubernetes']);
      const status = obj.status ?? {};
      obj.status = status;
      setDefault(status, 'phase', 'Active');
      const labels = (obj.metadata.labels ??= {});
      labels['kubernetes.io/metadata.name'] = obj.metadata.name ?? '';
      break;
    }
    case 'Secret': {
      setDefault(obj as JsonObject, 'type', 'Opaque');
      if (isObject(obj.stringData)) {
        const data: JsonObject = isObject(obj.data) ? obj.data : {};
        for (const [key, value] of Object.entries(obj.stringData)) data[key] = Buffer.from(String(value)).toString('base64');
        obj.data = data;
      }
      delete obj.stringData;
      break;
    }
    case 'PersistentVolumeClaim':
      obj.spec = spec;
      setDefault(spec, 'volumeMode', 'Filesystem');
      if (!isObject(obj.status)) obj.status = { phase: 'Pending' };
      break;
    case 'PersistentVolume':
      obj.spec = spec;
      setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
      setDefault(spec, 'volumeMode', 'Filesystem');
      if (!isObject(obj.status)) obj.status = { phase: 'Available' };
      break;
  }
}
