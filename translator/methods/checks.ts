/**
 * The checks of `iotedge-k8s check` and of a support bundle, in the manner of `iotedge check`
 * (Azure/iotedge edgelet/iotedge/src/check/): named checks, each pass, warn, fail or skip with a
 * one-line message and a hint. `evaluateChecks` is pure; the facts are gathered by the caller
 * (`clusterFacts` here for the Kubernetes side).
 */
import { X509Certificate } from 'node:crypto';
import { AuthorizationV1Api, CoreV1Api, type KubeConfig } from '../kube/index.js';
import { KubeApiError, KubeConnectionError, LAST_GOOD_SECRET, toKubeError } from '../reconcile/index.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  message: string;
  /** What to do about a warn or fail. */
  hint?: string;
}

/** IoT Hub's limit of a twin's reported properties. */
export const REPORTED_LIMIT_BYTES = 32 * 1024;
/** Clock skew beyond which tokens and certificates fail (IoT Hub allows 5 minutes). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** An edgeHub certificate that expires within this time warns. */
export const CERT_WARN_MS = 7 * 86_400_000;

/** One permission the bridge needs in its namespace. */
export interface Permission {
  verb: string;
  resource: string;
  group?: string;
  subresource?: string;
}

/**
 * What the bridge does in the device's namespace; the Role `install` prints grants each of these
 * (test/sandbox/kube/rbac-bridge.test.ts checks it with the Role in force). Events are not asked
 * for: the Role does not grant them, and a support bundle only notes that it could not read them.
 */
export const BRIDGE_PERMISSIONS: readonly Permission[] = [
  { verb: 'list', resource: 'pods' },
  { verb: 'get', resource: 'pods', subresource: 'log' },
  { verb: 'delete', resource: 'pods' },
  { verb: 'watch', resource: 'deployments', group: 'apps' },
  { verb: 'patch', resource: 'deployments', group: 'apps' },
  { verb: 'watch', resource: 'jobs', group: 'batch' },
  { verb: 'patch', resource: 'services' },
  { verb: 'get', resource: 'secrets' },
  // The Lease iotedge-k8s: leader election, else the heartbeat a local `list` reads (translator/leader).
  { verb: 'update', resource: 'leases', group: 'coordination.k8s.io' },
];

export type Fact<T> = { ok: true; value: T } | { ok: false; error: string };

/** What the checks look at; an absent fact skips its checks. */
export interface CheckFacts {
  /** The cluster answered, with the permissions it denied. */
  cluster?: Fact<{ denied: string[] }>;
  /** IoT Hub answered with this credential; `serverTime` from its Date header. */
  hub?: Fact<{ serverTime?: Date }>;
  /** Why IoT Hub was not asked (the skip message of `hub-reachable`). */
  hubUnknown?: string;
  /** What to do when `hub` failed, in place of the hint about a service connection string. */
  hubHint?: string;
  localTime: Date;
  /** `$edgeAgent` reported properties (without `$metadata`/`$version`). */
  reported?: Record<string, unknown>;
  /** Where `reported` comes from when it is not the twin IoT Hub holds; said after the byte count. */
  reportedNote?: string;
  /** Why there is no `reported` (the skip message of `reported-size`). */
  reportedUnknown?: string;
  /** The edgeHub server certificate (PEM), absent when the device has none. */
  edgeHubCertificate?: Fact<string | undefined>;
  /** The last-good Secret is present. */
  lastGood?: Fact<boolean>;
  /** The modules as the cluster shows them; without it, `reported`'s modules are checked. */
  modules?: Record<string, ModuleState>;
  /** Why the modules are not known (the skip message of `modules-running`). */
  modulesUnknown?: string;
}

/** The fields of a reported module the checks read. */
export interface ModuleState {
  runtimeStatus?: string;
  status?: string;
  statusDescription?: string;
  exitCode?: number;
  restartPolicy?: string;
}

function permissionName(p: Permission): string {
  return `${p.verb} ${p.group ? `${p.resource}.${p.group}` : p.resource}${p.subresource ? `/${p.subresource}` : ''}`;
}

const skip = (id: CheckId, why: string): CheckResult => ({ id, title: CHECK_TITLES[id], status: 'skip', message: why });

/** The checks, in a fixed order. */
export function evaluateChecks(facts: CheckFacts): CheckResult[] {
  const results: CheckResult[] = [];
  // Cluster.
  if (!facts.cluster) {
    results.push(skip('cluster-reachable', 'not checked (no cluster access)'));
    results.push(skip('cluster-permissions', 'not checked (no cluster access)'));
  } else if (!facts.cluster.ok) {
    results.push({ id: 'cluster-reachable', title: CHECK_TITLES['cluster-reachable'], status: 'fail', message: facts.cluster.error, hint: 'check --kubeconfig / KUBECONFIG and that the API server answers' });
    results.push(skip('cluster-permissions', 'not checked (the cluster did not answer)'));
  } else {
    results.push({ id: 'cluster-reachable', title: CHECK_TITLES['cluster-reachable'], status: 'pass', message: 'the API server answered' });
    const denied = facts.cluster.value.denied;
    results.push(
      denied.length === 0
        ? { id: 'cluster-permissions', title: CHECK_TITLES['cluster-permissions'], status: 'pass', message: `all ${BRIDGE_PERMISSIONS.length} permissions of the bridge are granted` }
        : { id: 'cluster-permissions', title: CHECK_TITLES['cluster-permissions'], status: 'fail', message: `denied: ${denied.join(', ')}`, hint: "apply the Role that 'iotedge-k8s install' prints to this namespace" },
    );
  }
  // IoT Hub.
  if (!facts.hub) results.push(skip('hub-reachable', facts.hubUnknown ?? 'not checked (no IoT Hub connection given)'));
  else if (!facts.hub.ok)
    results.push({ id: 'hub-reachable', title: CHECK_TITLES['hub-reachable'], status: 'fail', message: facts.hub.error, hint: facts.hubHint ?? 'check the connection string, the network path to IoT Hub on 443/8883 and --ca' });
  else results.push({ id: 'hub-reachable', title: CHECK_TITLES['hub-reachable'], status: 'pass', message: 'IoT Hub answered with this credential' });
  // Clock skew.
  const serverTime = facts.hub?.ok ? facts.hub.value.serverTime : undefined;
  if (!serverTime) results.push(skip('clock-skew', 'not checked (no IoT Hub time)'));
  else {
    const skew = facts.localTime.getTime() - serverTime.getTime();
    results.push(
      Math.abs(skew) <= MAX_CLOCK_SKEW_MS
        ? // IoT Hub's Date header has one-second precision: a skew under two seconds is within it.
          { id: 'clock-skew', title: CHECK_TITLES['clock-skew'], status: 'pass', message: Math.abs(skew) < 2000 ? 'within 2 s' : `skew ${Math.round(skew / 1000)} s` }
        : { id: 'clock-skew', title: CHECK_TITLES['clock-skew'], status: 'fail', message: `this clock is ${Math.round(skew / 1000)} s off IoT Hub's`, hint: 'sync the clock (NTP): SAS tokens and certificates fail with a skewed clock' },
    );
  }
  // Reported document.
  if (!facts.reported) results.push(skip('reported-size', facts.reportedUnknown ?? 'not checked (no twin read)'));
  else {
    const size = Buffer.byteLength(JSON.stringify(facts.reported), 'utf8');
    const status: CheckStatus = size > REPORTED_LIMIT_BYTES ? 'fail' : size > REPORTED_LIMIT_BYTES * 0.8 ? 'warn' : 'pass';
    results.push({
      id: 'reported-size',
      title: CHECK_TITLES['reported-size'],
      status,
      message: `${size} bytes of ${REPORTED_LIMIT_BYTES}${facts.reportedNote ? ` (${facts.reportedNote})` : ''}`,
      ...(status === 'pass' ? {} : { hint: 'fewer modules per device, or shorter env and createOptions' }),
    });
  }
  // edgeHub certificate.
  const cert = facts.edgeHubCertificate;
  if (!cert) results.push(skip('edgehub-certificate', 'not checked (no cluster access)'));
  else if (!cert.ok) results.push({ id: 'edgehub-certificate', title: CHECK_TITLES['edgehub-certificate'], status: 'fail', message: cert.error, hint: 'delete the Secret: the bridge issues a new certificate' });
  else if (cert.value === undefined) results.push(skip('edgehub-certificate', 'the device has no edgeHub certificate Secret'));
  else results.push(certificateCheck(cert.value, facts.localTime));
  // Last good deployment.
  const lastGood = facts.lastGood;
  if (!lastGood) results.push(skip('last-good', 'not checked (no cluster access)'));
  else if (!lastGood.ok) results.push({ id: 'last-good', title: CHECK_TITLES['last-good'], status: 'fail', message: lastGood.error });
  else
    results.push(
      lastGood.value
        ? { id: 'last-good', title: CHECK_TITLES['last-good'], status: 'pass', message: `Secret ${LAST_GOOD_SECRET} present` }
        : { id: 'last-good', title: CHECK_TITLES['last-good'], status: 'warn', message: `no Secret ${LAST_GOOD_SECRET}`, hint: 'the device cannot start its modules offline until one deployment was applied' },
    );
  // Modules.
  results.push(modulesCheck(facts.modules ?? reportedModules(facts.reported), facts.modulesUnknown ?? 'not checked (no module statuses)'));
  return results;
}

/** The title of each check. */
export const CHECK_TITLES: Readonly<Record<CheckId, string>> = {
  'cluster-reachable': 'Kubernetes cluster reachable',
  'cluster-permissions': 'Permissions sufficient',
  'hub-reachable': 'IoT Hub reachable, credential valid',
  'clock-skew': 'Clock in sync with IoT Hub',
  'reported-size': 'Reported properties within 32 KB',
  'edgehub-certificate': 'edgeHub certificate valid',
  'last-good': 'Last good deployment kept',
  'modules-running': 'Modules running',
};

/** Every check, in the order `check` prints them. */
export const CHECK_IDS = ['cluster-reachable', 'cluster-permissions', 'hub-reachable', 'clock-skew', 'reported-size', 'edgehub-certificate', 'last-good', 'modules-running'] as const;
export type CheckId = (typeof CHECK_IDS)[number];
/** The checks the device (the bridge, or the CLI with cluster access) runs: they need the cluster. */
export const DEVICE_CHECK_IDS: readonly CheckId[] = ['cluster-reachable', 'cluster-permissions', 'edgehub-certificate', 'last-good', 'modules-running'];
/** The checks the CLI runs with an IoT Hub service connection: they need IoT Hub. */
export const HUB_CHECK_IDS: readonly CheckId[] = CHECK_IDS.filter((id) => !DEVICE_CHECK_IDS.includes(id));

/** `check`'s results: the device-side ones as given, the IoT Hub ones evaluated from `hubFacts`, in {@link CHECK_IDS}' order. */
export function withHubChecks(device: readonly CheckResult[], hubFacts: CheckFacts): CheckResult[] {
  return orderChecks([...device, ...onlyChecks(evaluateChecks(hubFacts), HUB_CHECK_IDS)]);
}

/** Results sorted into {@link CHECK_IDS}' order (unknown ids last, in their order). */
export function orderChecks(results: readonly CheckResult[]): CheckResult[] {
  const rank = (id: string) => {
    const i = (CHECK_IDS as readonly string[]).indexOf(id);
    return i < 0 ? CHECK_IDS.length : i;
  };
  return results.map((r, i) => ({ r, i })).sort((a, b) => rank(a.r.id) - rank(b.r.id) || a.i - b.i).map(({ r }) => r);
}

/** A well-formed result (as the bridge answers RunDeviceChecks). */
export function isCheckResult(value: unknown): value is CheckResult {
  const r = value as Partial<CheckResult> | null;
  return (
    typeof r === 'object' && r !== null && typeof r.id === 'string' && typeof r.title === 'string' && typeof r.message === 'string' && ['pass', 'warn', 'fail', 'skip'].includes(r.status as string) && (r.hint === undefined || typeof r.hint === 'string')
  );
}

/** The results of some checks only. */
export function onlyChecks(results: readonly CheckResult[], ids: readonly CheckId[]): CheckResult[] {
  return results.filter((r) => (ids as readonly string[]).includes(r.id));
}

function certificateCheck(pem: string, now: Date): CheckResult {
  const title = CHECK_TITLES['edgehub-certificate'];
  let notAfter: Date;
  try {
    notAfter = new Date(new X509Certificate(pem).validTo);
  } catch {
    return { id: 'edgehub-certificate', title, status: 'fail', message: 'the edgeHub certificate is not a PEM certificate', hint: 'delete the Secret: the bridge issues a new certificate' };
  }
  const left = notAfter.getTime() - now.getTime();
  if (left <= 0) return { id: 'edgehub-certificate', title, status: 'fail', message: `expired on ${notAfter.toISOString()}`, hint: 'the bridge renews it when running; check its logs' };
  if (left < CERT_WARN_MS) return { id: 'edgehub-certificate', title, status: 'warn', message: `expires on ${notAfter.toISOString()}`, hint: 'the bridge renews it when running; check its logs' };
  return { id: 'edgehub-certificate', title, status: 'pass', message: `valid until ${notAfter.toISOString()}` };
}

/** edgeHub and the user modules of a reported document (edgeAgent is the bridge itself). */
function reportedModules(reported: Record<string, unknown> | undefined): Record<string, ModuleState> | undefined {
  if (!reported) return undefined;
  const system = (reported.systemModules ?? {}) as Record<string, ModuleState>;
  const modules = (reported.modules ?? {}) as Record<string, ModuleState | null>;
  const out: Record<string, ModuleState> = system.edgeHub ? { edgeHub: system.edgeHub } : {};
  for (const [id, m] of Object.entries(modules)) if (m) out[id] = m;
  return out;
}

/** Runtime statuses of a module that should run but cannot: the check fails on them (others only warn, e.g. a module still starting). */
const FAILING_STATUSES = new Set(['backoff', 'failed', 'unhealthy']);

function modulesCheck(modules: Record<string, ModuleState> | undefined, why: string): CheckResult {
  const title = CHECK_TITLES['modules-running'];
  if (!modules) return skip('modules-running', why);
  const notRunning: string[] = [];
  let failing = false;
  let completed = 0;
  for (const [id, entry] of Object.entries(modules).sort(([a], [b]) => a.localeCompare(b))) {
    if (entry.runtimeStatus === 'running' || entry.status === 'stopped') continue;
    // A module that is not restarted after a clean exit (restartPolicy never, on-failure, on-unhealthy) is done, not down.
    if (entry.runtimeStatus === 'stopped' && (entry.exitCode ?? 0) === 0 && entry.restartPolicy !== undefined && entry.restartPolicy !== 'always') {
      completed++;
      continue;
    }
    failing ||= FAILING_STATUSES.has(entry.runtimeStatus ?? '');
    notRunning.push(`${id} (${entry.runtimeStatus ?? 'unknown'}${entry.statusDescription ? `: ${entry.statusDescription}` : ''})`);
  }
  if (notRunning.length === 0) {
    const running = Object.keys(modules).length - completed;
    return { id: 'modules-running', title, status: 'pass', message: `${running} modules running${completed > 0 ? `, ${completed} completed` : ''}` };
  }
  return { id: 'modules-running', title, status: failing ? 'fail' : 'warn', message: `not running: ${notRunning.join('; ')}`, hint: "see 'iotedge-k8s logs MODULE' and 'iotedge-k8s list'" };
}

/** Cluster facts of a device namespace: reachability and permissions, the edgeHub certificate Secret, the last-good Secret. */
export async function clusterFacts(kubeConfig: KubeConfig, namespace: string, edgeHubSecret: { name: string; key: string }): Promise<Pick<CheckFacts, 'cluster' | 'edgeHubCertificate' | 'lastGood'>> {
  const auth = new AuthorizationV1Api(kubeConfig);
  const core = new CoreV1Api(kubeConfig);
  const denied: string[] = [];
  try {
    for (const p of BRIDGE_PERMISSIONS) {
      const review = await auth.createSelfSubjectAccessReview({
        body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace, verb: p.verb, resource: p.resource, group: p.group ?? '', ...(p.subresource ? { subresource: p.subresource } : {}) } } },
      });
      if (!review.status?.allowed) denied.push(permissionName(p));
    }
  } catch (e) {
    return { cluster: { ok: false, error: kubeMessage(e, 'SelfSubjectAccessReview') } };
  }
  const secret = async (name: string): Promise<Fact<Record<string, string> | undefined>> => {
    try {
      return { ok: true, value: (await core.readNamespacedSecret({ name, namespace })).data ?? {} };
    } catch (e) {
      const error = toKubeError(e, `reading Secret ${name}`);
      if (error instanceof KubeApiError && error.status === 404) return { ok: true, value: undefined };
      return { ok: false, error: kubeMessage(e, `reading Secret ${name}`) };
    }
  };
  const [hubSecret, lastGood] = await Promise.all([secret(edgeHubSecret.name), secret(LAST_GOOD_SECRET)]);
  const certPem = hubSecret.ok ? hubSecret.value?.[edgeHubSecret.key] : undefined;
  return {
    cluster: { ok: true, value: { denied } },
    edgeHubCertificate: hubSecret.ok ? { ok: true, value: certPem ? Buffer.from(certPem, 'base64').toString('utf8') : undefined } : hubSecret,
    lastGood: lastGood.ok ? { ok: true, value: lastGood.value !== undefined } : lastGood,
  };
}

/** One line about a client failure, without secrets. */
function kubeMessage(e: unknown, what: string): string {
  const error = toKubeError(e, what);
  if (error instanceof KubeApiError) return `${what}: Kubernetes API ${error.status}: ${error.apiMessage}`;
  if (error instanceof KubeConnectionError) return `${what}: cannot reach the Kubernetes API: ${error.causeMessage}`;
  return `${what}: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`;
}
