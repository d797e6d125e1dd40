/**
 * What `run --sandbox` (and so `npm start`) adds for the person at the terminal, once the
 * emulators run:
 *
 * - the `--manifest` is watched, and each save is pushed through the sandbox IoT Hub as a new
 *   deployment (a new `$version` of the `$edgeAgent` twin), as a real hub delivers it; an
 *   invalid save is not pushed and its problems are printed;
 * - each module published on a LoadBalancer address is announced with its URL
 *   (`webserver: http://127.102.0.1:8080/`) once a ready pod serves it;
 * - device-to-cloud messages reaching the hub are printed one line each (the hub's event
 *   stream, as `iotedge-k8s hub monitor` reads it);
 * - the device's namespace holds the credential Secret an installed device has (the one
 *   `install --credential-secret` names; `deploy/` calls it `iotedge-k8s-device`), so that a
 *   local `check --kubeconfig` finds the device's credential as it does on an installed device.
 *
 * The emulators come from the lazily loaded sandbox wiring (`./sandbox.js`); this file only
 * names their types.
 */
import { concatMap, from, type Subscription } from 'rxjs';
import type { ObjectReader } from '../kinds/index.js';
import { CoreV1Api, kubeJson, type KubeConfig } from '../kube/index.js';
import { KubeApiError, toKubeError } from '../reconcile/index.js';
import { DEFAULT_CREDENTIAL_SECRET } from './device-credential.js';
import { DEFAULT_CONNECTION_STRING_KEY, DEFAULT_DEVICE_CONNECTION_STRING_KEY } from './install.js';
import type { DeploymentContent } from '../manifest/index.js';
import { watchManifest, type DesiredInput, type ManifestFiles } from '../sources/index.js';
import type { ReportedDocument } from '../status/index.js';
import { ORIGINAL_MODULE_ID_ANNOTATION } from '../translate/index.js';
import { formatDiagnostic } from './format.js';
import { followEvents, sandboxEventStream, type HubEvent } from './monitor.js';
import type { Sandbox } from './sandbox.js';

/** One address the sandbox serves for a Service (`kube.serviceAddresses`). */
export type ServedAddress = Awaited<ReturnType<Sandbox['kube']['whenServing']>>[number];

/** Where the session writes its lines (each ends with a newline). */
export type Say = (text: string) => void;

/** The URL a person opens for a Service: its first external TCP address with a ready pod. Pure. */
export function moduleUrl(addresses: readonly ServedAddress[]): string | undefined {
  const served = addresses.find((a) => a.external && a.protocol === 'TCP' && a.endpoints > 0);
  return served ? `http://${served.ip}:${served.port}/` : undefined;
}

/** The line printed for a message that reached the hub. Pure. */
export function telemetryLine(event: HubEvent): string {
  const from = event.moduleId ? `${event.deviceId}/${event.moduleId}` : event.deviceId;
  return `IoT Hub <- ${from}: ${event.body.replace(/\s*\n\s*/g, ' ')}\n`;
}

/**
 * Pushes the first version of `files` now, and every later save, one push at a time, with
 * `push`. Resolves once the first version was pushed (or refused) with the function that stops
 * watching. A version that does not load or validate is not pushed: its problems are printed,
 * and what runs stays.
 */
export async function followManifestThroughHub(files: ManifestFiles, push: (content: DeploymentContent) => Promise<void>, say: Say): Promise<() => void> {
  let saves = 0;
  let firstDone: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (firstDone = resolve));
  const pushOne = async ({ manifest }: DesiredInput): Promise<void> => {
    const what = saves++ === 0 ? files.base : `${files.base} (saved)`;
    if (!manifest.content) {
      for (const d of manifest.diagnostics.filter((x) => x.severity === 'error')) say(formatDiagnostic(d) + '\n');
      say(`${what} is not a valid deployment: not pushed; the running deployment stays.\n`);
      return;
    }
    try {
      await push(manifest.content);
      say(`Pushed ${what} through the sandbox IoT Hub.\n`);
    } catch (e) {
      say(`error: ${what} was not pushed: ${(e as Error).message}\n`);
    }
  };
  const subscription: Subscription = watchManifest(files)
    .pipe(concatMap((input) => from(pushOne(input).finally(() => firstDone()))))
    .subscribe();
  await first;
  return () => subscription.unsubscribe();
}

export interface ModuleUrlsOptions {
  namespace: string;
  /** The device's objects (the bridge's cache): where a module's LoadBalancer Service is found. */
  objects: ObjectReader;
  /** `kube.whenServing`. */
  whenServing: (namespace: string, service: string, timeoutMs: number) => Promise<ServedAddress[]>;
  say: Say;
  /** Longest wait for a ready pod behind a new address before trying again on a later report. @default 60000 */
  timeoutMs?: number;
}

/**
 * Announces the URL of each module with an external address, once that address has a ready
 * pod; again when a module's address changes. Fed with every reported document.
 */
export class ModuleUrls {
  private readonly announced = new Map<string, string>();
  private readonly waiting = new Set<string>();
  private stopped = false;

  constructor(private readonly options: ModuleUrlsOptions) {}

  report(doc: ReportedDocument): void {
    for (const moduleId of this.announced.keys()) if (!(moduleId in doc.modules)) this.announced.delete(moduleId);
    for (const [moduleId, m] of Object.entries(doc.modules)) {
      const address = m.externalAddress;
      if (address === undefined || this.announced.get(moduleId) === address || this.waiting.has(moduleId)) continue;
      const service = this.serviceOf(moduleId);
      if (service) void this.announce(moduleId, address, service);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private serviceOf(moduleId: string): string | undefined {
    const service = this.options.objects
      .list('Service')
      .find((s) => s.metadata?.annotations?.[ORIGINAL_MODULE_ID_ANNOTATION] === moduleId && (s.spec as { type?: string } | undefined)?.type === 'LoadBalancer');
    return service?.metadata?.name;
  }

  private async announce(moduleId: string, address: string, service: string): Promise<void> {
    this.waiting.add(moduleId);
    try {
      const url = moduleUrl(await this.options.whenServing(this.options.namespace, service, this.options.timeoutMs ?? 60_000));
      if (url && !this.stopped) {
        this.announced.set(moduleId, address);
        this.options.say(`${moduleId}: ${url}\n`);
      }
    } catch {
      // No ready pod yet (a crash loop, say): a later report tries again.
    } finally {
      this.waiting.delete(moduleId);
    }
  }
}

export interface TelemetryPrinterOptions {
  stateDir: string;
  deviceId: string;
  say: Say;
  /** Printed once when no message arrived this long after the start. @default 20000 */
  quietHintMs?: number;
  quietHint?: string;
}

/**
 * Prints each device-to-cloud message of the device reaching the sandbox hub. Resolves with
 * the stop function once the hub's event stream is open.
 */
export async function printTelemetry(options: TelemetryPrinterOptions): Promise<() => void> {
  let seen = 0;
  const stop = await followEvents(await sandboxEventStream(options.stateDir), { deviceId: options.deviceId }, (event) => {
    seen++;
    options.say(telemetryLine(event));
  });
  const hint = options.quietHint;
  const timer = hint ? setTimeout(() => seen === 0 && options.say(hint), options.quietHintMs ?? 20_000) : undefined;
  timer?.unref();
  return () => {
    clearTimeout(timer);
    stop();
  };
}

/** The field manager of what the sandbox writes into its cluster. */
const SANDBOX_FIELD_MANAGER = 'iotedge-k8s-sandbox';

/**
 * Writes the Secret `deploy/` names (`iotedge-k8s-device`) into `namespace`, created when missing,
 * with the device's connection string and the `$edgeAgent` one under the keys the install
 * Deployment reads, as an operator creates it before `kubectl apply -k deploy/`. Not labelled as
 * the bridge's: pruning never touches it.
 */
export async function putCredentialSecret(kubeConfig: KubeConfig, namespace: string, strings: { deviceConnectionString: string; edgeAgentConnectionString: string }): Promise<void> {
  try {
    await new CoreV1Api(kubeConfig).createNamespace({ body: { metadata: { name: namespace } } });
  } catch (e) {
    const error = toKubeError(e, `create Namespace/${namespace}`);
    if (!(error instanceof KubeApiError && error.status === 409)) throw error;
  }
  const data = { [DEFAULT_DEVICE_CONNECTION_STRING_KEY]: strings.deviceConnectionString, [DEFAULT_CONNECTION_STRING_KEY]: strings.edgeAgentConnectionString };
  await kubeJson(kubeConfig, {
    method: 'PATCH',
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${DEFAULT_CREDENTIAL_SECRET}`,
    query: { fieldManager: SANDBOX_FIELD_MANAGER, force: true },
    contentType: 'application/apply-patch+yaml',
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: DEFAULT_CREDENTIAL_SECRET, namespace }, type: 'Opaque', data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])) },
  });
}
