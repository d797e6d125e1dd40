/**
 * The IoT Hub checks of a local `check` (`hub-reachable`, `clock-skew`, `reported-size`), with
 * the device's own credential (./device-credential.ts) instead of an IoT Hub policy:
 *
 * - `hub-reachable`: one read-only authenticated HTTPS request, the device-scoped module list the
 *   bridge itself reads with the device key (`GET /devices/<self>/modules`); never an MQTT or
 *   AMQP connection as `$edgeAgent`, which would take the running bridge's place;
 * - `clock-skew`: from that answer's Date header, as the remote check reads the twin's;
 * - `reported-size`: only IoT Hub holds the twin, and a device key cannot read `$edgeAgent`'s
 *   twin over HTTPS, so the size is that of the document the bridge reports for what the cluster
 *   shows now, computed with the bridge's own status code from the last good deployment. What
 *   only the running bridge knows (its notes about itself and its modules' identities, a
 *   rejected later version, its kernel and commit) can make IoT Hub's copy differ, by a few
 *   hundred bytes (185 for the note of a bridge without the device connection string), which
 *   the message says.
 */
import { bridgeVersion, platform } from '../bridge/index.js';
import { ModuleRegistryClient, RegistryError } from '../identities/index.js';
import type { KubeConfig } from '../kube/index.js';
import type { CheckFacts, ObservedDevice } from '../methods/index.js';
import { reportedDocument } from '../status/index.js';
import type { DeviceCredential } from './device-credential.js';

/** How long the IoT Hub request may take. */
export const HUB_PROBE_TIMEOUT_MS = 30_000;

/** Said after the byte count of a document computed from the cluster. */
export const COMPUTED_REPORTED_NOTE = "computed from the cluster as the bridge reports it; IoT Hub's copy may differ by a few hundred bytes (the running bridge's notes about itself)";

export interface LocalHubInput {
  kubeConfig: KubeConfig;
  namespace: string;
  /** The device of the namespace, when one was found. */
  deviceId?: string;
  credential: DeviceCredential;
  /** CA to trust for IoT Hub (`--ca`), e.g. the sandbox hub's. */
  caPem?: string;
  now: Date;
  /** The device's last good deployment and modules, read once for this and the device-side checks. */
  observed: () => Promise<ObservedDevice | undefined>;
}

type HubFacts = Pick<CheckFacts, 'hub' | 'hubUnknown' | 'hubHint'>;
type ReportedFacts = Pick<CheckFacts, 'reported' | 'reportedNote' | 'reportedUnknown'>;

/** `hub-reachable` and `clock-skew` facts from one request with the device's key. Never throws. */
export async function deviceHubFacts(input: Pick<LocalHubInput, 'namespace' | 'deviceId' | 'credential' | 'caPem'>): Promise<HubFacts> {
  const { credential } = input;
  if (credential.kind === 'none') return { hubUnknown: `not checked: ${credential.reason}` };
  if (credential.kind === 'invalid') return { hub: { ok: false, error: credential.problem }, hubHint: "give the edge device's connection string: HostName=<hub>;DeviceId=<device>;SharedAccessKey=<key>" };
  const { device, source } = credential;
  if (input.deviceId !== undefined && input.deviceId !== device.deviceId) {
    return { hub: { ok: false, error: `the device credential (${source}) is for device '${device.deviceId}', but namespace '${input.namespace}' runs device '${input.deviceId}'` }, hubHint: "give this device's connection string" };
  }
  try {
    const { serverTime } = await new ModuleRegistryClient({ device, timeoutMs: HUB_PROBE_TIMEOUT_MS, ...(input.caPem ? { ca: input.caPem } : {}) }).probe();
    return { hub: { ok: true, value: serverTime ? { serverTime } : {} } };
  } catch (e) {
    if (!(e instanceof RegistryError)) throw e;
    if (e.status === 401) {
      return {
        hub: { ok: false, error: `IoT Hub refused the device's credential (${source})` },
        hubHint: `the key was regenerated or belongs to another device: give the device's current connection string (az iot hub device-identity connection-string show)`,
      };
    }
    // The message names the request, the device and IoT Hub's answer, never the key.
    if (e.status !== undefined) return { hub: { ok: false, error: `IoT Hub ${device.hostName} refused the device's request: ${e.message}` }, hubHint: 'the device must be an IoT Edge device of this hub' };
    const cause = e.message.replace(/^[^:]*: /, '');
    return { hub: { ok: false, error: `cannot reach IoT Hub at ${device.hostName}: ${cause}` }, hubHint: 'check the network path to IoT Hub on 443, and --ca FILE for a hub whose certificate is not publicly trusted (the sandbox hub-ca.pem)' };
  }
}

/** `reported-size` facts: the document the bridge reports for what the cluster shows. Never throws. */
export async function computedReportedFacts(input: Pick<LocalHubInput, 'namespace' | 'deviceId' | 'now' | 'observed'>): Promise<ReportedFacts> {
  if (input.deviceId === undefined) return { reportedUnknown: `not checked (no IoT Edge device found in namespace '${input.namespace}')` };
  try {
    const observed = await input.observed();
    if (!observed) return { reportedUnknown: 'not checked (no deployment applied by the bridge yet)' };
    const document = reportedDocument({
      model: observed.model,
      modules: new Map(Object.entries(observed.modules)),
      lastDesiredVersion: observed.version,
      lastDesiredStatus: { code: 200, description: '' },
      bridgeVersion,
      platform,
      // Only the length counts: any time of the same form as the bridge's start time.
      startedAt: input.now.toISOString(),
    });
    return { reported: document as unknown as Record<string, unknown>, reportedNote: COMPUTED_REPORTED_NOTE };
  } catch (e) {
    return { reportedUnknown: `not checked (reading the modules failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]})` };
  }
}

/** The IoT Hub checks' facts of a local `check`. Never throws. */
export async function localHubFacts(input: LocalHubInput): Promise<HubFacts & ReportedFacts> {
  const [hub, reported] = await Promise.all([deviceHubFacts(input), computedReportedFacts(input)]);
  return { ...hub, ...reported };
}
