/**
 * `iotedge-k8s check`: named checks with pass, warn, fail (and skip) and a hint each, printed as
 * `iotedge check` prints them (Azure/iotedge edgelet/iotedge/src/check/mod.rs: `√ ... - OK`,
 * `‼ ... - Warning`, `× ... - Error`, then the counts). Exit 1 when a check fails.
 *
 * The checks fall in two groups. The device-side ones (cluster reachable and permissions,
 * edgeHub certificate, last-good deployment, modules running) need the cluster: locally
 * (`--kubeconfig`) the CLI runs them itself, remotely (`--hub-connection-string` only) the
 * bridge runs the same code for the direct method RunDeviceChecks. The IoT Hub ones (reachable
 * with this credential, clock skew, reported size) run remotely with the service connection
 * string; locally, as on an IoT Edge device, with the device's own credential
 * (./device-credential.ts, ./local-hub-checks.ts), or with a service connection string when one
 * is given. The results are printed in one fixed order either way.
 */
import {
  CHECK_TITLES,
  DEVICE_CHECKS_METHOD,
  DEVICE_CHECK_IDS,
  EDGEHUB_CERTIFICATE,
  deviceChecks,
  isCheckResult,
  onlyChecks,
  observedDevice,
  withHubChecks,
  type CheckFacts,
  type CheckResult,
  type ObservedDevice,
} from '../methods/index.js';
import { CoreV1Api, type KubeConfig } from '../kube/index.js';
import { KubeApiError, toKubeError } from '../reconcile/index.js';
import { findDeviceCredential } from './device-credential.js';
import { DeviceVerbError } from './errors.js';
import { kubeConfigOf, LocalDevice, RemoteDevice, type DeviceFlags } from './device.js';
import { localHubFacts } from './local-hub-checks.js';
import { machine, type OutputFormat } from './output.js';


const SYMBOL: Record<CheckResult['status'], string> = { pass: '√', warn: '‼', fail: '×', skip: '·' };
const WORD: Record<CheckResult['status'], string> = { pass: 'OK', warn: 'Warning', fail: 'Error', skip: 'skipped' };

/**
 * A namespace the cluster does not have is a mistyped --namespace: one line and exit 1, as the
 * other verbs answer it, rather than checks that pass on a device that is not there. Any other
 * answer (forbidden, unreachable) is left to the checks, which report it.
 */
async function assertNamespace(kubeConfig: KubeConfig, namespace: string): Promise<void> {
  try {
    await new CoreV1Api(kubeConfig).readNamespace({ name: namespace });
  } catch (e) {
    const error = toKubeError(e, `read Namespace/${namespace}`);
    if (error instanceof KubeApiError && error.status === 404) throw new DeviceVerbError(`namespace '${namespace}' does not exist in this cluster; pass the --namespace the bridge uses`);
  }
}

/** `check`'s flags: a device's, and locally the device's own connection string. */
export type CheckFlags = DeviceFlags & { deviceConnectionString?: string };

/** The device's cluster, namespace and id (when the namespace shows one). */
async function localSite(flags: DeviceFlags): Promise<{ kubeConfig: KubeConfig; namespace: string; deviceId?: string }> {
  const kubeConfig = kubeConfigOf(flags);
  const namespace = flags.namespace ?? 'iotedge';
  await assertNamespace(kubeConfig, namespace);
  let deviceId = flags.deviceId;
  if (!deviceId) {
    try {
      deviceId = (await LocalDevice.open(kubeConfig, namespace)).deviceId;
    } catch (e) {
      if (!(e instanceof DeviceVerbError)) throw e;
    }
  }
  return { kubeConfig, namespace, ...(deviceId ? { deviceId } : {}) };
}

/** The device-side checks, run here against the cluster. */
function localDeviceChecks(site: { kubeConfig: KubeConfig; namespace: string; deviceId?: string }, now: Date, observed: () => Promise<ObservedDevice | undefined>): Promise<CheckResult[]> {
  return deviceChecks({ ...site, edgeHubCertificate: EDGEHUB_CERTIFICATE, now, observed });
}

/** Every device-side check with the same verdict: the bridge could not run them. */
function deviceSideFailed(message: string): CheckResult[] {
  const hint = `check that the bridge runs and is connected to IoT Hub; on the device's cluster, 'iotedge-k8s check --kubeconfig FILE --namespace NS' runs these checks without it`;
  return DEVICE_CHECK_IDS.map((id) => ({ id, title: CHECK_TITLES[id], status: 'fail', message, hint }));
}

/** The device-side checks, run by the bridge (direct method RunDeviceChecks). */
async function remoteDeviceChecks(remote: RemoteDevice): Promise<CheckResult[]> {
  let answer;
  try {
    answer = await remote.call(DEVICE_CHECKS_METHOD, { schemaVersion: '1.0' });
  } catch (e) {
    if (!(e instanceof DeviceVerbError)) throw e;
    return deviceSideFailed(`the bridge did not answer ${DEVICE_CHECKS_METHOD}: ${e.message}`);
  }
  const checks = (answer.payload as { checks?: unknown } | null)?.checks;
  if (answer.status !== 200 || !Array.isArray(checks) || !checks.every(isCheckResult)) {
    const said = (answer.payload as { message?: unknown } | null)?.message;
    return deviceSideFailed(`the bridge answered ${DEVICE_CHECKS_METHOD} with ${answer.status}${typeof said === 'string' ? `: ${said.slice(0, 200)}` : ''} (a bridge older than this CLI?)`);
  }
  return onlyChecks(checks, DEVICE_CHECK_IDS);
}

/**
 * Runs every check the flags give access to; the results in `check`'s order. Locally without a
 * service connection string, the IoT Hub checks use the device's credential (`env` holds
 * `$IOTEDGE_K8S_DEVICE_CONNECTION_STRING`).
 */
export async function checkResults(flags: CheckFlags, now: Date, caPem?: string, env: NodeJS.ProcessEnv = process.env): Promise<CheckResult[]> {
  const local = flags.kubeconfig !== undefined || !flags.hubConnectionString;
  if (!local && flags.deviceConnectionString !== undefined) throw new DeviceVerbError('--device-connection-string is for a local check (--kubeconfig FILE --namespace NS); remotely the IoT Hub checks use --hub-connection-string');
  const hubFacts: CheckFacts = { localTime: now };
  let remote: RemoteDevice | undefined;
  if (flags.hubConnectionString) {
    if (!flags.deviceId) throw new DeviceVerbError('--device-id is required with --hub-connection-string');
    remote = RemoteDevice.open(flags.hubConnectionString, flags.deviceId, caPem, flags.hubTimeoutMs);
    try {
      const { reported, serverTime } = await remote.reported();
      hubFacts.hub = { ok: true, value: serverTime ? { serverTime } : {} };
      hubFacts.reported = Object.fromEntries(Object.entries(reported).filter(([k]) => !k.startsWith('$')));
    } catch (e) {
      if (!(e instanceof DeviceVerbError)) throw e;
      hubFacts.hub = { ok: false, error: e.message };
    }
  }
  let device: CheckResult[];
  if (local) {
    const site = await localSite(flags);
    // Read once, when first asked, for the module check and the computed reported size.
    let observing: Promise<ObservedDevice | undefined> | undefined;
    const observed = () => (observing ??= site.deviceId === undefined ? Promise.resolve(undefined) : observedDevice(site.kubeConfig, site.namespace, site.deviceId));
    const hubLocally = async () => {
      if (flags.hubConnectionString) return;
      const credential = await findDeviceCredential(flags.deviceConnectionString, env, site.kubeConfig, site.namespace);
      Object.assign(hubFacts, await localHubFacts({ ...site, credential, ...(caPem ? { caPem } : {}), now, observed }));
    };
    [device] = await Promise.all([localDeviceChecks(site, now, observed), hubLocally()]);
  } else if (hubFacts.hub?.ok) device = await remoteDeviceChecks(remote!);
  else device = DEVICE_CHECK_IDS.map((id) => ({ id, title: CHECK_TITLES[id], status: 'skip', message: 'not checked (IoT Hub did not answer, so the bridge cannot be asked)' }));
  return withHubChecks(device, hubFacts);
}

export function renderChecks(results: readonly CheckResult[], format: OutputFormat): string {
  const count = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
  const summary = { succeeded: count('pass'), warnings: count('warn'), errors: count('fail'), skipped: count('skip') };
  if (format !== 'table') return machine({ checks: results, summary }, format);
  const lines = results.map((r) => {
    const head = `${SYMBOL[r.status]} ${r.title} - ${WORD[r.status]}`;
    const detail = r.status === 'pass' || r.status === 'skip' ? ` (${r.message})` : `\n    ${r.message}${r.hint ? `\n    ${r.hint}` : ''}`;
    return head + detail + '\n';
  });
  return (
    lines.join('') +
    `\n${summary.succeeded} check(s) succeeded.\n` +
    (summary.warnings ? `${summary.warnings} check(s) raised warnings.\n` : '') +
    (summary.errors ? `${summary.errors} check(s) raised errors.\n` : '') +
    (summary.skipped ? `${summary.skipped} check(s) were skipped.\n` : '')
  );
}

/** The results and the exit code (1 when a check failed). */
export async function check(flags: CheckFlags, format: OutputFormat, now: Date, caPem?: string): Promise<{ text: string; exitCode: number; results: CheckResult[] }> {
  const results = await checkResults(flags, now, caPem);
  return { text: renderChecks(results, format), exitCode: results.some((r) => r.status === 'fail') ? 1 : 0, results };
}
