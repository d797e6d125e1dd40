/**
 * `iotedge-k8s install`: the manifests that run the bridge in a cluster, one device per
 * namespace: the Namespace, a ServiceAccount, a Role holding exactly what the bridge does in its
 * namespace, the RoleBinding, the bridge Deployment and a Service for /metrics. Pure: options
 * in, objects out; `deploy/` holds the same objects for `kubectl apply -k deploy/`.
 *
 * No ClusterRole: everything the bridge reads and writes is in its namespace. It reads its own
 * Namespace at start (a namespaced Role can grant `get` on `namespaces` limited to that one name,
 * since the API server treats `/api/v1/namespaces/NS` as a request in namespace NS) and creates
 * it only when missing, which never happens here because these manifests create it.
 */
import { POD_SECURITY_LEVELS, type KubeObject, type PodSecurityLevel } from '../translate/index.js';
import { packageVersion } from '../package.js';
import { CONNECTION_STRING_ENV } from '../sources/index.js';

/** Pod Security Standards levels (`pod-security.kubernetes.io/enforce`). */

/** Environment variable of the device connection string (for module identities; read by a later bridge version). */
export const DEVICE_CONNECTION_STRING_ENV = 'IOTEDGE_K8S_DEVICE_CONNECTION_STRING';

export interface InstallOptions {
  /** The device's namespace (a DNS-1123 label). */
  namespace: string;
  /** Secret in that namespace holding the device's credentials. */
  credentialSecret: string;
  /** Key of the Secret holding the `$edgeAgent` module connection string. @default "connectionString" */
  connectionStringKey?: string;
  /** Key of the Secret holding the device connection string. @default "deviceConnectionString" */
  deviceConnectionStringKey?: string;
  /** Bridge replicas (more than one: standbys, with leader election). @default 1 */
  replicas?: number;
  /** The bridge image. @default `iotedge-k8s:<package version>` */
  image?: string;
  /** Sets `pod-security.kubernetes.io/enforce` on the Namespace and `run --pod-security`. */
  podSecurity?: PodSecurityLevel;
  /** More `run` arguments, e.g. `--volume-binding=pre-provisioned` (Azure Stack Edge shares). */
  runArgs?: string[];
  /** Leave the Namespace object out (clusters where an administrator creates namespaces). */
  withoutNamespace?: boolean;
}

/** Name of the ServiceAccount, Role, RoleBinding and Deployment; also the bridge's Lease (leader election, heartbeat). */
export const BRIDGE_NAME = 'iotedge-k8s';
export const METRICS_SERVICE = 'iotedge-k8s-metrics';
export const OPS_PORT = 9600;
export const DEFAULT_IMAGE = `iotedge-k8s:${packageVersion}`;
export const DEFAULT_CONNECTION_STRING_KEY = 'connectionString';
export const DEFAULT_DEVICE_CONNECTION_STRING_KEY = 'deviceConnectionString';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** One rule of the bridge's Role and the code paths that need it. */
export interface BridgeRule {
  /** What the bridge does with it; the RBAC test names the step that fails without it. */
  why: string;
  rule: (namespace: string) => PolicyRule;
}

const MANAGED_VERBS = ['list', 'watch', 'create', 'patch', 'delete'];

/**
 * The Role's rules, read off the code (reconcile/reconciler.ts, reconcile/watcher.ts,
 * methods/cluster.ts, bridge/bridge.ts). Server-side apply is `patch`, and `create` too when
 * the object does not exist yet; pruning is `delete`; the watch cache is `list` + `watch`.
 */
export const BRIDGE_RULES: readonly BridgeRule[] = [
  {
    why: 'start: read its own Namespace (created only when missing)',
    rule: (ns) => ({ apiGroups: [''], resources: ['namespaces'], verbs: ['get'], resourceNames: [ns] }),
  },
  {
    why: "apply/prune modules' pull Secrets; read and save the last good deployment (Secret iotedge-k8s-last-good)",
    rule: () => ({ apiGroups: [''], resources: ['secrets'], verbs: ['get', ...MANAGED_VERBS] }),
  },
  {
    why: "apply, prune and watch modules' ServiceAccounts, PersistentVolumeClaims and Services",
    rule: () => ({ apiGroups: [''], resources: ['serviceaccounts', 'persistentvolumeclaims', 'services'], verbs: MANAGED_VERBS }),
  },
  {
    why: "apply, prune and watch modules' Deployments; read one to see it started (startupOrder); RestartModule patches one",
    rule: () => ({ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', ...MANAGED_VERBS] }),
  },
  {
    why: "apply, prune and watch modules' Jobs; a changed Job is deleted and read until gone",
    rule: () => ({ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', ...MANAGED_VERBS] }),
  },
  {
    why: 'runtime status from the modules\' Pods (list, watch); RestartModule deletes a Job\'s Pod',
    rule: () => ({ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch', 'delete'] }),
  },
  {
    why: 'GetModuleLogs reads container logs',
    rule: () => ({ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }),
  },
  {
    why: 'the Lease iotedge-k8s: leader election (run --leader-elect), else the heartbeat a local `list` reads to see the bridge',
    rule: () => ({ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }),
  },
];

function labels(component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': BRIDGE_NAME,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': BRIDGE_NAME,
    'app.kubernetes.io/version': packageVersion,
  };
}

const SELECTOR = { 'app.kubernetes.io/name': BRIDGE_NAME, 'app.kubernetes.io/component': 'bridge' };
/** The label selector of the bridge's own pods (what `list` shows as edgeAgent locally). */
export const BRIDGE_POD_SELECTOR = Object.entries(SELECTOR).map(([k, v]) => `${k}=${v}`).join(',');

export class InstallError extends Error {
  override readonly name = 'InstallError';
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** Problems with the options, one message each (the CLI prints them as one line). */
export function installProblems(o: InstallOptions): string[] {
  const problems: string[] = [];
  if (!DNS1123_LABEL.test(o.namespace)) problems.push(`namespace '${o.namespace}' must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)`);
  if (o.credentialSecret.length > 253 || !DNS1123_SUBDOMAIN.test(o.credentialSecret)) problems.push(`credential secret '${o.credentialSecret}' must be a DNS-1123 subdomain`);
  for (const [what, key] of [['connection string key', o.connectionStringKey], ['device connection string key', o.deviceConnectionStringKey]] as const) {
    if (key !== undefined && (key.length > 253 || !SECRET_KEY.test(key))) problems.push(`${what} '${key}' must consist of letters, digits, '-', '_' or '.'`);
  }
  if (o.replicas !== undefined && (!Number.isInteger(o.replicas) || o.replicas < 1 || o.replicas > 10)) problems.push(`replicas (${o.replicas}) must be an integer from 1 to 10`);
  if (o.image !== undefined && (o.image.trim() === '' || /\s/.test(o.image))) problems.push(`image '${o.image}' must be an image reference without spaces`);
  for (const a of o.runArgs ?? []) if (!a.startsWith('-') || /[\s]/.test(a)) problems.push(`run argument '${a}' must be an option such as --volume-binding=pre-provisioned`);
  if (o.podSecurity !== undefined && !POD_SECURITY_LEVELS.includes(o.podSecurity)) problems.push(`pod security level '${o.podSecurity}' must be one of ${POD_SECURITY_LEVELS.join(', ')}`);
  return problems;
}

function secretEnv(name: string, secret: string, key: string): object {
  return { name, valueFrom: { secretKeyRef: { name: secret, key, optional: true } } };
}

function bridgeDeployment(o: InstallOptions): KubeObject {
  const args = ['run', '--namespace', o.namespace, '--ops-host', '0.0.0.0', '--ops-port', String(OPS_PORT), '--leader-elect'];
  if (o.podSecurity !== undefined) args.push('--pod-security', o.podSecurity);
  args.push(...(o.runArgs ?? []));
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: 'ops' },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: BRIDGE_NAME, namespace: o.namespace, labels: labels('bridge') },
    spec: {
      replicas: o.replicas ?? 1,
      // Only the leader is ready (run --leader-elect): a rolling update would wait forever for a
      // new pod (a standby) to become ready. Recreate stops the old pods first; the leader
      // releases the Lease as it stops, so a new pod leads at once.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: SELECTOR },
      template: {
        metadata: { labels: labels('bridge') },
        spec: {
          serviceAccountName: BRIDGE_NAME,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'bridge',
              image: o.image ?? DEFAULT_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              args,
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                secretEnv(CONNECTION_STRING_ENV, o.credentialSecret, o.connectionStringKey ?? DEFAULT_CONNECTION_STRING_KEY),
                secretEnv(DEVICE_CONNECTION_STRING_ENV, o.credentialSecret, o.deviceConnectionStringKey ?? DEFAULT_DEVICE_CONNECTION_STRING_KEY),
              ],
              ports: [{ name: 'ops', containerPort: OPS_PORT, protocol: 'TCP' }],
              livenessProbe: probe('/healthz', 10, 3),
              readinessProbe: probe('/readyz', 5, 1),
              resources: { requests: { cpu: '50m', memory: '192Mi' }, limits: { cpu: '500m', memory: '384Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
    },
  };
}

/** The install manifests, in apply order. Throws {@link InstallError} for bad options. */
export function installManifests(o: InstallOptions): KubeObject[] {
  const problems = installProblems(o);
  if (problems.length > 0) throw new InstallError(problems.join('; '));
  const ns = o.namespace;
  const namespaceLabels: Record<string, string> = { ...labels('namespace') };
  if (o.podSecurity !== undefined) namespaceLabels['pod-security.kubernetes.io/enforce'] = o.podSecurity;
  const namespace: KubeObject[] = o.withoutNamespace ? [] : [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: namespaceLabels } }];
  return [
    ...namespace,
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: BRIDGE_NAME, namespace: ns, labels: labels('bridge') } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: BRIDGE_NAME, namespace: ns, labels: labels('bridge') },
      rules: BRIDGE_RULES.map((r) => r.rule(ns)),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: BRIDGE_NAME, namespace: ns, labels: labels('bridge') },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: BRIDGE_NAME },
      subjects: [{ kind: 'ServiceAccount', name: BRIDGE_NAME, namespace: ns }],
    },
    bridgeDeployment(o),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: METRICS_SERVICE,
        namespace: ns,
        labels: labels('metrics'),
        annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(OPS_PORT), 'prometheus.io/path': '/metrics' },
      },
      // Standbys are never ready; their /metrics (iotedge_k8s_leader 0) are still scraped.
      spec: { type: 'ClusterIP', selector: SELECTOR, publishNotReadyAddresses: true, ports: [{ name: 'metrics', port: OPS_PORT, targetPort: 'ops', protocol: 'TCP' }] },
    },
  ];
}
