/**
 * `iotedge-k8s check`: named checks with pass, warn, fail (and skip) and a hint each, printed as
 * `iotedge check` prints them (Azure/iotedge edgelet/iotedge/src/check/mod.rs: `√ ... - OK`,
 * `‼ ... - Warning`, `× ... - Error`, then the counts). Locally (`--kubeconfig`) it checks the
 * cluster side: reachability and permissions (SelfSubjectAccessReview), the edgeHub
 * certificate, the last-good deployment and the modules; remotely (`--hub-connection-string`)
 * IoT Hub, the credential, the clock, the reported document's size and the modules. Given both,
 * it runs every check. Exit 1 when a check fails.
 */
import { clusterFacts, evaluateChecks, type CheckFacts, type CheckResult } from '../methods/index.js';
import { EDGEHUB_SERVER_SECRET } from '../identities/index.js';
import { DeviceVerbError } from './errors.js';
import { kubeConfigOf, LocalDevice, RemoteDevice, type DeviceFlags } from './device.js';
import { machine, type OutputFormat } from './output.js';

/** The key of the edgeHub certificate chain in its Secret (translator/identities writes it). */
export const EDGEHUB_CERTIFICATE_KEY = 'server.pem';

const SYMBOL: Record<CheckResult['status'], string> = { pass: '√', warn: '‼', fail: '×', skip: '·' };
const WORD: Record<CheckResult['status'], string> = { pass: 'OK', warn: 'Warning', fail: 'Error', skip: 'skipped' };

/** Gathers the facts the flags give access to. */
export async function checkFacts(flags: DeviceFlags, now: Date, caPem?: string): Promise<CheckFacts> {
  const facts: CheckFacts = { localTime: now };
  const local = flags.kubeconfig !== undefined || !flags.hubConnectionString;
  if (local) {
    const kubeConfig = kubeConfigOf(flags);
    const namespace = flags.namespace ?? 'iotedge';
    Object.assign(facts, await clusterFacts(kubeConfig, namespace, { name: EDGEHUB_SERVER_SECRET, key: EDGEHUB_CERTIFICATE_KEY }));
    if (facts.cluster?.ok) {
      try {
        const device = await LocalDevice.open(kubeConfig, namespace, flags.deviceId);
        if (await device.lastGoodModel()) facts.modules = await device.modules();
      } catch (e) {
        if (!(e instanceof DeviceVerbError)) throw e;
      }
    }
  }
  if (flags.hubConnectionString) {
    if (!flags.deviceId) throw new DeviceVerbError('--device-id is required with --hub-connection-string');
    const remote = RemoteDevice.open(flags.hubConnectionString, flags.deviceId, caPem);
    try {
      const { reported, serverTime } = await remote.reported();
      facts.hub = { ok: true, value: serverTime ? { serverTime } : {} };
      facts.reported = Object.fromEntries(Object.entries(reported).filter(([k]) => !k.startsWith('$')));
    } catch (e) {
      if (!(e instanceof DeviceVerbError)) throw e;
      facts.hub = { ok: false, error: e.message };
    }
  }
  return facts;
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
export async function check(flags: DeviceFlags, format: OutputFormat, now: Date, caPem?: string): Promise<{ text: string; exitCode: number; results: CheckResult[] }> {
  const results = evaluateChecks(await checkFacts(flags, now, caPem));
  return { text: renderChecks(results, format), exitCode: results.some((r) => r.status === 'fail') ? 1 : 0, results };
}
