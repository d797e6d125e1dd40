/**
 * The bridge runs with exactly the rights `iotedge-k8s install` gives it. The install manifests
 * are applied to the sandbox cluster with kubectl, the bridge gets a token of its
 * ServiceAccount (`kubectl create token`), and the end-to-end flow (push through IoT Hub ->
 * apply -> status -> direct methods) runs with that token and no 403. Then, rule by rule, the
 * same flow with one rule left out of the Role fails at a named step.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { Client, Registry } from 'azure-iothub';
import { stringify } from 'yaml';
import { startHubEmulator, trustHubCa, type HubEmulator } from '../../../sandbox/hub/index.js';
import { startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { BRIDGE_RULES, installManifests, startRun, type RunningBridge } from '../../../translator/cli/index.js';
import { holderIdentity } from '../../../translator/leader/index.js';
import { samplePath } from '../../golden/samples.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests and reports are free-form JSON here
type Json = any;

const run = promisify(execFile);
let kube: KubeEmulator;
let hub: HubEmulator;
let registry: Registry;
let service: Client;
let dir: string;

/** webserver.json plus a pull Secret (registry credentials) and a Job (restartPolicy never) with a claim. */
function content(namespace: string): Json {
  const doc = JSON.parse(readFileSync(samplePath('webserver.json'), 'utf8'));
  const desired = doc.modulesContent.$edgeAgent['properties.desired'];
  // A different deployment each run, so each run has its own desired version.
  desired.modules.webserverapp.env = { RUN: { value: namespace } };
  desired.runtime.settings.registryCredentials = { contoso: { username: 'contoso', password: 'not-a-real-password', address: 'contoso.azurecr.io' } };
  desired.modules.worker = {
    version: '1.0',
    type: 'docker',
    status: 'running',
    restartPolicy: 'never',
    settings: {
      image: 'contoso.azurecr.io/worker:1.0',
      createOptions: JSON.stringify({ HostConfig: { Mounts: [{ Type: 'volume', Source: 'workdata', Target: '/data' }] } }),
    },
  };
  return doc;
}

async function kubectl(...args: string[]): Promise<string> {
  return (await run('kubectl', ['--kubeconfig', kube.kubeconfigPath!, ...args], { timeout: 30_000 })).stdout;
}

/** Applies the install manifests for `namespace`, the Role's rules replaced by `rules`; returns a kubeconfig of the ServiceAccount. */
async function install(namespace: string, skipRule?: number): Promise<string> {
  const objects: Json[] = installManifests({ namespace, credentialSecret: 'device-credentials' });
  const role = objects.find((o) => o.kind === 'Role');
  if (skipRule !== undefined) role.rules = role.rules.filter((_: unknown, i: number) => i !== skipRule);
  const file = join(dir, `${namespace}.yaml`);
  writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
  await kubectl('apply', '--server-side', '-f', file);
  const token = (await kubectl('create', 'token', 'iotedge-k8s', '-n', namespace)).trim();
  const admin = new KubeConfig();
  admin.loadFromString(kube.kubeconfig);
  const cluster = admin.getCurrentCluster()!;
  const kubeconfig = join(dir, `${namespace}.kubeconfig`);
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'sandbox', cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData } }],
      users: [{ name: 'bridge', user: { token } }],
      contexts: [{ name: 'bridge', context: { cluster: 'sandbox', user: 'bridge', namespace } }],
      'current-context': 'bridge',
    }),
  );
  return kubeconfig;
}

type Step = 'start' | 'apply and report running' | 'GetModuleLogs' | 'RestartModule' | 'RunDeviceChecks' | 'leader election Lease';

interface FlowResult {
  failedStep?: Step;
  error?: string;
  log: string;
}

async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function reported(): Promise<Json> {
  return ((await registry.getModuleTwin(hub.deviceId, '$edgeAgent')).responseBody as Json).properties.reported;
}

async function method(methodName: string, payload: Json): Promise<void> {
  const r = await service.invokeDeviceMethod(hub.deviceId, '$edgeAgent', { methodName, payload, responseTimeoutInSeconds: 10 });
  if (r.result.status !== 200) throw new Error(`${methodName} answered ${r.result.status}: ${JSON.stringify(r.result.payload)}`);
}

/** The end-to-end flow as the bridge's ServiceAccount; stops at the first step that fails. */
async function flow(namespace: string, kubeconfig: string): Promise<FlowResult> {
  let log = '';
  const io = { stdout: (t: string) => void (log += t), stderr: (t: string) => void (log += t) };
  await registry.applyConfigurationContentOnDevice(hub.deviceId, content(namespace));
  const version = ((await registry.getModuleTwin(hub.deviceId, '$edgeAgent')).responseBody as Json).properties.desired.$version as number;
  let running: RunningBridge | undefined;
  const step = async (name: Step, body: () => Promise<void>): Promise<FlowResult | undefined> => {
    try {
      await body();
      return undefined;
    } catch (e) {
      return { failedStep: name, error: e instanceof Error ? e.message : String(e), log };
    }
  };
  try {
    const steps: [Step, () => Promise<void>][] = [
      [
        'start',
        async () => {
          running = await within(20_000, 'startRun', startRun(
            { kubeconfig, namespace, connectionString: hub.edgeAgentConnectionString, ca: hub.caFile, layer: [], stateDir: dir, opsPort: 0, opsHost: '127.0.0.1', logLevel: 'info', translate: {}, leaderElect: true },
            io,
          ));
          // As installed: --leader-elect. The bridge starts once it holds the Lease; a refused Lease fails the step.
          const started = running;
          let settled = false;
          const refusal = async (): Promise<string> => {
            for (;;) {
              // The elector's own refusals (the Lease); the bridge's come in the later steps, as before.
              const refused = log.split('\n').find((line) => /leader election/.test(line) && /forbidden/i.test(line));
              if (refused !== undefined || settled) return `the bridge logged: ${refused}`;
              await new Promise((res) => setTimeout(res, 100));
            }
          };
          const failure = await within(20_000, 'leading', Promise.race([
            started.leading.then(() => undefined),
            started.leadershipLost.then((reason) => `lost leadership: ${reason}`),
            refusal(),
          ])).finally(() => (settled = true));
          if (failure !== undefined) throw new Error(failure);
        },
      ],
      [
        'apply and report running',
        async () => {
          const deadline = Date.now() + 20_000;
          for (;;) {
            // A refused API call the bridge logged fails the step at once (it would retry it forever).
            const refused = log.split('\n').find((line) => /forbidden/i.test(line));
            if (refused !== undefined) throw new Error(`the bridge logged: ${refused}`);
            const r = await reported();
            if (r?.lastDesiredVersion === version && r.lastDesiredStatus?.code !== 200) throw new Error(`lastDesiredStatus ${JSON.stringify(r.lastDesiredStatus)}`);
            if (r?.lastDesiredVersion === version && r.modules?.webserverapp?.runtimeStatus === 'running' && r.modules?.worker?.runtimeStatus === 'running') return;
            if (Date.now() > deadline) throw new Error(`not applied and running: ${JSON.stringify({ v: r?.lastDesiredVersion, s: r?.lastDesiredStatus, w: r?.modules?.webserverapp?.runtimeStatus, j: r?.modules?.worker?.runtimeStatus })}`);
            await new Promise((res) => setTimeout(res, 200));
          }
        },
      ],
      [
        'GetModuleLogs',
        async () => {
          await method('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: 'webserverapp', filter: { tail: 5 } }], encoding: 'none', contentType: 'text' });
        },
      ],
      [
        'RestartModule',
        async () => {
          for (const id of ['webserverapp', 'worker']) await method('RestartModule', { schemaVersion: '1.0', id });
        },
      ],
      [
        // Our RunDeviceChecks: with install's Role every permission the check asks about is granted.
        'RunDeviceChecks',
        async () => {
          // RestartModule (the step before) rolls the modules out again and answers at once: until
          // their new pods run, the modules check warns that they are starting. Only that may be
          // waited out; any other warning or failure (a permission) fails the step at once.
          const deadline = Date.now() + 20_000;
          for (;;) {
            const r = await service.invokeDeviceMethod(hub.deviceId, '$edgeAgent', { methodName: 'RunDeviceChecks', payload: {}, responseTimeoutInSeconds: 10 });
            const checks = (r.result.payload as Json)?.checks as { id: string; status: string; message: string }[] | undefined;
            const bad = (checks ?? []).filter((c) => c.status === 'fail' || c.status === 'warn');
            const starting = bad.length > 0 && bad.every((c) => c.id === 'modules-running' && c.status === 'warn');
            if (r.result.status === 200 && checks && bad.length === 0) return;
            if (r.result.status !== 200 || !checks || !starting || Date.now() > deadline)
              throw new Error(`RunDeviceChecks answered ${r.result.status}: ${JSON.stringify(bad.length > 0 ? bad : r.result.payload)}`);
            await new Promise((res) => setTimeout(res, 200));
          }
        },
      ],
      [
        // The Lease `run --leader-elect` took is readable as the bridge, and names it.
        'leader election Lease',
        async () => {
          const kc = new KubeConfig();
          kc.loadFromFile(kubeconfig);
          const lease = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'iotedge-k8s', namespace });
          if (lease.spec?.holderIdentity !== holderIdentity()) throw new Error(`the Lease is held by ${lease.spec?.holderIdentity}`);
        },
      ],
    ];
    for (const [name, body] of steps) {
      const failed = await step(name, body);
      if (failed) return failed;
    }
    return { log };
  } finally {
    await running?.stop();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-rbac-'));
  kube = await startKubeEmulator({ stateDir: dir, timeFactor: 0.01, loadBalancerPool: ['192.0.2.30-192.0.2.40'] });
  hub = await startHubEmulator({ stateDir: dir, serviceHost: '127.0.0.64' });
  registry = trustHubCa(Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  service = trustHubCa(Client.fromConnectionString(hub.serviceConnectionString), hub.caPem);
}, 60_000);

afterAll(async () => {
  await service?.close();
  await hub?.stop();
  await kube?.stop();
});

describe("the bridge as its ServiceAccount, with install's Role", () => {
  it('runs the whole flow with no 403', async () => {
    const result = await flow('rbac-full', await install('rbac-full'));
    expect({ failedStep: result.failedStep, error: result.error }).toEqual({ failedStep: undefined, error: undefined });
    // A 403 anywhere but in a duration (a reconcile that took 403 ms is no refusal).
    expect(result.log).not.toMatch(/forbidden|(?<!ms":)\b403\b(?! ?ms\b)/i);
  }, 90_000);

  const expectedFailure: Record<string, Step> = {
    namespaces: 'start',
    secrets: 'apply and report running',
    'serviceaccounts,persistentvolumeclaims,services': 'apply and report running',
    deployments: 'apply and report running',
    jobs: 'apply and report running',
    pods: 'apply and report running',
    'pods/log': 'GetModuleLogs',
    // Without the Lease the bridge never leads, so it never starts.
    leases: 'start',
  };

  it('names a failing step for every rule', () => {
    expect(BRIDGE_RULES.map((r) => r.rule('x').resources.join(','))).toEqual(Object.keys(expectedFailure));
  });

  it.each(BRIDGE_RULES.map((r, i) => [r.rule('x').resources.join(','), i] as const))('without the rule for %s, a named step fails with a 403', async (resources, index) => {
    const namespace = `rbac-no-${index}`;
    const result = await flow(namespace, await install(namespace, index));
    expect({ failedStep: result.failedStep }).toEqual({ failedStep: expectedFailure[resources] });
    // The API server's own words, whatever quoting the message went through on its way.
    const said = (result.error ?? '').replace(/\\/g, '');
    // GetModuleLogs answers with the status code of the refused call, not the API's message.
    if (resources === 'pods/log') expect(said).toMatch(/GetModuleLogs answered 500: .*reading the log of pod '[^']+' failed \(Kubernetes API 403\)/);
    else expect(said).toMatch(new RegExp(`forbidden: User "system:serviceaccount:${namespace}:iotedge-k8s" cannot \\w+ resource "(${resources.split(',').join('|')})" in API group "[a-z0-9.]*" in the namespace "${namespace}"`));
  }, 90_000);
});
