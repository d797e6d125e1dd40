/**
 * The device verbs against the sandbox with a running bridge (started in-process through
 * startRun, as test/e2e does, and as `run --sandbox` runs it: outside the cluster, with no
 * bridge pod): each verb gives the same answer locally (--kubeconfig, straight from the
 * cluster; the bridge's edgeAgent row from its Lease) and remotely (--hub-connection-string,
 * through the $edgeAgent twin and direct methods); `restart` gives a new pod and a growing
 * restartCount; `logs -f` follows; `check` names its checks and exits 1 on a failure;
 * `support-bundle` writes a redacted ZIP.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { Registry } from 'azure-iothub';
import { startHubEmulator, trustHubCa, type HubEmulator } from '../../../sandbox/hub/index.js';
import { ImageCatalog, startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { main, startRun, type Io, type RunningBridge } from '../../../translator/cli/index.js';
import { runCheck, runList, runLogs } from '../../../translator/cli/device-verbs.js';
import { installManifests } from '../../../translator/cli/install.js';
import type { ListRow } from '../../../translator/cli/list.js';
import { deploymentManifest, dockerModule } from '../../support/manifest.js';
import { startAzurite, type Azurite } from '../../support/azurite.js';
import { waitFor } from '../../support/wait.js';

const NS = 'verbs-device';
const REGISTRY_PASSWORD = 'verbs-registry-Pa55word';
let kube: KubeEmulator;
let hub: HubEmulator;
let azurite: Azurite;
let running: RunningBridge;
let kc: KubeConfig;
let core: CoreV1Api;
let registry: InstanceType<typeof Registry>;
let dir: string;
let local: string[];
let remote: string[];

const manifest = deploymentManifest({
  modules: {
    SensorModule: dockerModule('sensor:1'),
    counter: dockerModule('counter:1'),
  },
  runtimeSettings: { registryCredentials: { acr: { address: 'contoso.azurecr.io', username: 'contoso', password: REGISTRY_PASSWORD } } },
});

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

async function rows(side: string[]): Promise<ListRow[]> {
  const r = await cli('list', ...side, '-o', 'json');
  expect(r).toMatchObject({ code: 0, err: '' });
  return JSON.parse(r.out) as ListRow[];
}

// DESCRIPTION holds uptimes, which move; edgeAgent's statusDescription remotely carries what the
// bridge says about itself ("running; ..."), which only the bridge knows (compared separately).
const withoutDescription = (list: ListRow[]) => list.map(({ description: _, ...rest }) => (rest.name === 'edgeAgent' ? { ...rest, statusDescription: rest.statusDescription.split(';')[0] } : rest));

async function pods(moduleId: string) {
  return (await core.listNamespacedPod({ namespace: NS })).items.filter((p) => p.metadata?.annotations?.['net.azure-devices.edge.original-moduleid'] === moduleId && !p.metadata?.deletionTimestamp);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-verbs-'));
  const catalog = ImageCatalog.fromJson({
    // Times in the emulator run 100 times faster (timeFactor): a line every 20 ms.
    'sensor:1': { kind: 'run', logEvery: 2000, lines: ['<6> temperature 21.5', '<3> sensor read failed'] },
    'counter:1': { kind: 'run', logEvery: 2000, lines: ['tick'] },
    'broken:1': { kind: 'crash', code: 3, afterMs: 1000 },
    // Stands in for the bridge's image in the cluster (its pod runs no bridge here), with a log.
    'bridge-sim:1': { kind: 'run', logEvery: 2000, lines: ['bridge: reconciled'] },
  });
  [kube, hub, azurite] = await Promise.all([startKubeEmulator({ stateDir: dir, timeFactor: 0.01, catalog }), startHubEmulator({ stateDir: dir, serviceHost: '127.0.0.62' }), startAzurite(10_412)]);
  kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  const io: Io = { stdout: () => {}, stderr: () => {} };
  running = await startRun(
    { kubeconfig: kube.kubeconfigPath!, namespace: NS, connectionString: hub.edgeAgentConnectionString, ca: hub.caFile!, layer: [], stateDir: dir, opsPort: 0, opsHost: '127.0.0.1', logLevel: 'warn', translate: {} },
    io,
  );
  registry = trustHubCa(Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  await registry.applyConfigurationContentOnDevice(hub.deviceId, manifest as never);
  // The bridge's credential Secret as deploy/ names it (and `run --sandbox` writes it): what an
  // installed device's holds, the device connection string and the $edgeAgent one.
  await core.createNamespacedSecret({
    namespace: NS,
    body: { metadata: { name: 'iotedge-k8s-device' }, stringData: { connectionString: hub.edgeAgentConnectionString, deviceConnectionString: hub.deviceConnectionString } },
  });
  local = ['--kubeconfig', kube.kubeconfigPath!, '--namespace', NS];
  remote = ['--hub-connection-string', hub.serviceConnectionString, '--device-id', hub.deviceId, '--ca', hub.caFile!];
  await waitFor(
    'every module running in the reported properties',
    async () => {
      const twin = (await registry.getModuleTwin(hub.deviceId, '$edgeAgent')).responseBody as unknown as { properties: { reported: { modules?: Record<string, { runtimeStatus: string }> } } };
      const modules = twin.properties.reported.modules ?? {};
      return modules.SensorModule?.runtimeStatus === 'running' && modules.counter?.runtimeStatus === 'running' ? true : undefined;
    },
    30_000,
  );
}, 90_000);

afterAll(async () => {
  await running?.stop();
  await Promise.all([hub?.stop(), kube?.stop(), azurite?.stop()]);
});

describe('list', () => {
  test('the same modules, statuses and columns locally and remotely', async () => {
    // The twin follows the cluster within a second or two; wait until both sides agree.
    const agreed = await waitFor('local and remote lists to agree', async () => {
      const [l, r] = await Promise.all([rows(local), rows(remote)]);
      return JSON.stringify(withoutDescription(l)) === JSON.stringify(withoutDescription(r)) ? l : undefined;
    });
    expect(agreed[0]).toMatchObject({ name: 'edgeAgent', statusDescription: 'running', restartCount: 0, exitCode: 0 });
    expect(agreed.map((r) => [r.name, r.status, r.config])).toEqual([
      ['edgeAgent', 'running', 'mcr.microsoft.com/azureiotedge-agent:1.5'],
      ['edgeHub', 'running', 'mcr.microsoft.com/azureiotedge-hub:1.5'],
      ['counter', 'running', 'counter:1'],
      ['SensorModule', 'running', 'sensor:1'],
    ]);
    // The table, at one instant: identical text, iotedge's columns. Ten minutes on, every uptime
    // reads "Up 10 minutes" (locally the bridge's start time comes from its Lease: the same instant it reports).
    const now = new Date(Date.now() + 10 * 60_000);
    const tables: string[] = [];
    for (const side of [local, remote]) {
      let out = '';
      const flags = side === local ? { kubeconfig: kube.kubeconfigPath!, namespace: NS } : { hubConnectionString: hub.serviceConnectionString, deviceId: hub.deviceId, ca: hub.caFile! };
      expect(await runList({ ...flags, output: 'table' }, { io: { stdout: (t) => (out += t), stderr: () => {} }, stop: new Promise(() => {}), now: () => now })).toBe(0);
      tables.push(out);
    }
    expect(tables[1]).toBe(tables[0]);
    expect(tables[0]).toMatch(/^NAME\s+STATUS\s+DESCRIPTION\s+CONFIG\n/);
    expect(tables[0]).toMatch(/^NAME[^\n]*\nedgeAgent\s+running\s+Up 10 minutes\s+mcr.microsoft.com\/azureiotedge-agent:1.5\n/);
    expect(tables[0]).toMatch(/\nSensorModule\s+running\s+Up 10 minutes\s+sensor:1\n/);
    const yaml = await cli('list', ...remote, '-o', 'yaml');
    expect(yaml.out).toContain('- name: edgeHub');
  }, 30_000);

  test('a bridge outside the cluster: running while it renews its Lease, stopped once it released it, not running once the Lease expired; a bridge pod comes first', async () => {
    // Its own namespace and a files-source bridge with a short heartbeat (4 s Lease, renewed every 500 ms).
    const ns = 'verbs-outside';
    const side = ['--kubeconfig', kube.kubeconfigPath!, '--namespace', ns];
    const manifestFile = join(dir, 'outside.json');
    writeFileSync(manifestFile, JSON.stringify(deploymentManifest({ modules: { counter: dockerModule('counter:1') } })));
    const start = () =>
      startRun(
        { kubeconfig: kube.kubeconfigPath!, namespace: ns, manifest: manifestFile, statusFile: join(dir, 'outside-status.json'), deviceId: 'outside', layer: [], stateDir: dir, opsPort: 0, opsHost: '127.0.0.1', logLevel: 'silent', translate: {}, heartbeat: { leaseDurationMs: 4_000, renewMs: 500 } },
        { stdout: () => {}, stderr: () => {} },
      );
    const agent = async () => (await rows(side))[0]!;
    const lease = () => kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'iotedge-k8s', namespace: ns });

    // Running, since the instant the bridge reports as edgeAgent's lastStartTimeUtc.
    let outside = await start();
    try {
      const up = await waitFor('edgeAgent running from the Lease', async () => {
        const a = await agent().catch(() => undefined);
        return a?.status === 'running' ? a : undefined;
      });
      expect(up).toMatchObject({ name: 'edgeAgent', statusDescription: 'running', restartCount: 0 });
      const reportedStart = outside.bridge.report?.systemModules.edgeAgent.lastStartTimeUtc;
      expect((await lease()).metadata?.annotations?.['iotedge-k8s/started-at']).toBe(reportedStart);
    } finally {
      await outside.stop();
    }
    // A clean stop releases the Lease: stopped at once.
    expect(await agent()).toMatchObject({ status: 'stopped', description: expect.stringMatching(/^Stopped /), statusDescription: expect.stringMatching(/^stopped: the bridge released the Lease iotedge-k8s at /) });

    // A bridge that dies without releasing (its last write refused): running until the Lease expires, then not.
    outside = await start();
    await waitFor('edgeAgent running again', async () => ((await agent().catch(() => undefined))?.status === 'running' ? true : undefined));
    kube.faults.failNext(2, { method: 'PUT', path: `/namespaces/${ns}/leases/iotedge-k8s` });
    await outside.stop();
    const held = await lease();
    expect(held.spec?.holderIdentity).not.toBe('');
    const expiresAt = new Date(held.spec!.renewTime as unknown as string).getTime() + held.spec!.leaseDurationSeconds! * 1000;
    expect(await agent()).toMatchObject({ status: 'running' });
    const gone = await waitFor('edgeAgent no longer running', async () => {
      const a = await agent();
      return a.status !== 'running' ? { a, answered: Date.now() } : undefined;
    }, 10_000);
    // Judged when the Lease was read, which is before the answer came.
    expect(gone.answered).toBeGreaterThanOrEqual(expiresAt);
    expect(gone.a).toMatchObject({ status: 'unknown', description: 'Unknown', statusDescription: expect.stringMatching(/^no heartbeat from \S+ since \S+Z \(the Lease iotedge-k8s expired at \S+Z\): the bridge stopped without releasing it/) });

    // In the cluster (the Deployment `install` makes), the bridge's pod tells, whatever the Lease says.
    // The sandbox's pod runs no bridge process, so the probes on its ops port are left out.
    const bridgeDeployment = installManifests({ namespace: ns, credentialSecret: 'iotedge-k8s-credentials', withoutNamespace: true }).find((o) => o.kind === 'Deployment') as unknown as V1Deployment;
    for (const c of bridgeDeployment.spec!.template.spec!.containers) {
      c.image = 'bridge-sim:1';
      delete c.livenessProbe;
      delete c.readinessProbe;
      delete c.startupProbe;
    }
    await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace: ns, body: bridgeDeployment });
    const fromPod = await waitFor('edgeAgent running from the bridge pod', async () => {
      const a = await agent();
      return a.status === 'running' ? a : undefined;
    });
    expect(fromPod).toMatchObject({ statusDescription: 'running', restartCount: 0 });
    // A local support bundle of an installed bridge holds its pod's log.
    const installedZip = join(dir, 'installed.zip');
    expect(await cli('support-bundle', ...side, '--output', installedZip)).toMatchObject({ code: 0, err: '' });
    expect(execFileSync('unzip', ['-p', installedZip, 'bridge/logs.txt'], { encoding: 'utf8' })).toMatch(/^\S+Z bridge: reconciled\n/);
    expect(execFileSync('unzip', ['-p', installedZip, 'README.txt'], { encoding: 'utf8' })).not.toContain('bridge logs:');
  }, 60_000);

  test('one clear line when the device cannot be reached', async () => {
    const r = await cli('list', '--kubeconfig', kube.kubeconfigPath!, '--namespace', 'nobody-here');
    expect(r.code).toBe(1);
    expect(r.err).toBe("error: no IoT Edge device runs in namespace 'nobody-here' (no workload labelled app.kubernetes.io/managed-by=iotedge-k8s): pass the --namespace the bridge uses, or wait until it applied a deployment\n");
    const bad = await cli('list', '--hub-connection-string', hub.serviceConnectionString.replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=d3Jvbmc='), '--device-id', hub.deviceId, '--ca', hub.caFile!);
    expect(bad).toMatchObject({ code: 1, err: 'error: IoT Hub refused the credentials of the connection string\n' });
  });

  test('one clear line when IoT Hub accepts the connection but never answers (each call has a deadline)', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket.on('error', () => {})));
    await new Promise<void>((resolve) => silent.listen(443, '127.0.0.182', resolve));
    try {
      const flags = { hubConnectionString: 'HostName=127.0.0.182;SharedAccessKeyName=iothubowner;SharedAccessKey=d3Jvbmc=', deviceId: hub.deviceId, hubTimeoutMs: 300, output: 'table' as const };
      const errors: string[] = [];
      const started = Date.now();
      await expect(runList(flags, { io: { stdout: () => {}, stderr: (t) => errors.push(t) }, stop: new Promise(() => {}) })).rejects.toThrow('IoT Hub did not answer in time');
      let out = '';
      expect(await runCheck(flags, { io: { stdout: (t) => (out += t), stderr: () => {} }, stop: new Promise(() => {}) })).toBe(1);
      expect(out).toContain('× IoT Hub reachable, credential valid - Error\n    IoT Hub did not answer in time\n');
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('logs', () => {
  test('the same lines locally and remotely for a closed time range', async () => {
    // A window that closed half a second ago and holds more than two lines (the module writes one every few milliseconds).
    const window = () => ({ until: new Date(Date.now() - 500).toISOString(), since: new Date(Date.now() - 60_000).toISOString() });
    const { since, until } = await waitFor('more than two lines in a closed window', async () => {
      const w = window();
      const probe = await cli('logs', 'SensorModule', ...local, '--since', w.since, '--until', w.until);
      return probe.out.split('\n').filter((x) => x !== '').length > 2 ? w : undefined;
    });
    const [l, r] = await Promise.all([cli('logs', 'SensorModule', ...local, '--since', since, '--until', until), cli('logs', 'SensorModule', ...remote, '--since', since, '--until', until)]);
    expect(l.code).toBe(0);
    expect(r).toEqual(l);
    const lines = l.out.split('\n').filter((x) => x !== '');
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.every((x) => x === 'temperature 21.5' || x === 'sensor read failed')).toBe(true);
    const tail = await cli('logs', 'counter', ...remote, '--tail', '2', '-t');
    expect(tail.out).toMatch(/^(\d{4}-\d{2}-\d{2}T\S+Z tick\n){2}$/);
    const json = JSON.parse((await cli('logs', 'counter', ...local, '--tail', '1', '-o', 'json')).out) as { id: string; text: string }[];
    expect(json).toEqual([expect.objectContaining({ id: 'counter', text: 'tick', device: hub.deviceId })]);
  }, 30_000);

  test('-f follows new lines, locally and remotely, until stopped', async () => {
    for (const flags of [{ kubeconfig: kube.kubeconfigPath!, namespace: NS }, { hubConnectionString: hub.serviceConnectionString, deviceId: hub.deviceId, ca: hub.caFile! }]) {
      let out = '';
      let stop!: () => void;
      const stopped = new Promise<void>((r) => (stop = r));
      const following = runLogs('counter', { ...flags, output: 'table', tail: 1, follow: true, timestamps: true, pollMs: 100 }, { io: { stdout: (t) => (out += t), stderr: () => {} }, stop: stopped });
      const lines = await waitFor('five followed lines', () => {
        const l = out.split('\n').filter((x) => x !== '');
        return l.length >= 5 ? l : undefined;
      });
      stop();
      expect(await following).toBe(0);
      const stamps = lines.map((l) => l.split(' ')[0]!);
      // Each line once, in order: no repeats across polls.
      expect([...stamps].sort()).toEqual(stamps);
      expect(new Set(stamps).size).toBe(stamps.length);
    }
  }, 30_000);

  test('an unknown module and bad times are one clear line', async () => {
    expect(await cli('logs', 'nothere', ...remote)).toMatchObject({ code: 1, err: `error: module 'nothere' has no pod on device '${hub.deviceId}' (see 'iotedge-k8s list')\n` });
    const bad = await cli('logs', 'counter', ...local, '--since', 'yesterday');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^error: GetModuleLogs: 'items\[0\]\.filter\.since' "yesterday" is not a duration/);
  });
});

describe('restart', () => {
  test('gives a new pod and a growing restartCount, through IoT Hub and locally', async () => {
    const restartCount = async (side: string[]) => (await rows(side)).find((r) => r.name === 'SensorModule')!.restartCount;
    const before = await restartCount(local);
    let previousPods = (await pods('SensorModule')).map((p) => p.metadata!.name!);
    for (const [i, side] of [remote, local].entries()) {
      expect(await cli('restart', 'SensorModule', ...side)).toEqual({ code: 0, out: 'SensorModule\n', err: '' });
      const fresh = await waitFor('a new running SensorModule pod', async () => {
        const now = await pods('SensorModule');
        return now.length === 1 && !previousPods.includes(now[0]!.metadata!.name!) && now[0]!.status?.phase === 'Running' ? now[0]! : undefined;
      });
      previousPods = [fresh.metadata!.name!];
      await waitFor('restartCount to grow on both sides', async () => ((await restartCount(local)) === before + i + 1 && (await restartCount(remote)) === before + i + 1 ? true : undefined));
    }
    expect(await cli('restart', 'nothere', ...remote)).toMatchObject({ code: 1, err: expect.stringContaining("module 'nothere' not found") });
  }, 60_000);
});

type CheckOut = { checks: { id: string; title: string; status: string; message: string; hint?: string }[]; summary: Record<string, number> };
const verdicts = (o: CheckOut) => o.checks.map((c) => `${c.id}=${c.status}`);
const CHECK_ORDER = ['cluster-reachable', 'cluster-permissions', 'hub-reachable', 'clock-skew', 'reported-size', 'edgehub-certificate', 'last-good', 'modules-running'];
const hubFlags = () => ['--hub-connection-string', hub.serviceConnectionString, '--device-id', hub.deviceId, '--ca', hub.caFile!];
/** The device's key (of the sandbox hub's device connection string). */
const DEVICE_KEY = () => /SharedAccessKey=([^;]+)/.exec(hub.deviceConnectionString)![1]!;
/**
 * How far a local `reported-size` (computed from the cluster) may be from the twin's: the running
 * bridge's notes about itself are not in the cluster (here "; modules get no IoT Hub credentials:
 * ...", 185 bytes: this bridge runs with the $edgeAgent connection string only).
 */
const REPORTED_SIZE_TOLERANCE = 512;

describe('check', () => {
  test('the same named checks and verdicts locally and remotely (the bridge runs the device-side ones)', async () => {
    // Local with IoT Hub access (the hub-side checks need a service connection string) and remote only.
    const [l, r] = await Promise.all([cli('check', ...local, ...hubFlags(), '-o', 'json'), cli('check', ...remote, '-o', 'json')]);
    expect([l.code, r.code, l.err, r.err]).toEqual([0, 0, '', '']);
    const lo = JSON.parse(l.out) as CheckOut;
    const ro = JSON.parse(r.out) as CheckOut;
    expect(lo.checks.map((c) => c.id)).toEqual(CHECK_ORDER);
    expect(verdicts(ro)).toEqual(verdicts(lo));
    expect(ro.checks).toEqual(lo.checks);
    expect(verdicts(lo)).toEqual(CHECK_ORDER.map((id) => `${id}=${id === 'edgehub-certificate' ? 'skip' : 'pass'}`));
    const byId = Object.fromEntries(ro.checks.map((c) => [c.id, c]));
    expect(byId['cluster-permissions']).toMatchObject({ status: 'pass', message: 'all 9 permissions of the bridge are granted' });
    expect(byId['last-good']).toMatchObject({ status: 'pass', message: 'Secret iotedge-k8s-last-good present' });
    expect(byId['modules-running']).toMatchObject({ status: 'pass', message: '3 modules running' });
    expect(byId['reported-size']!.message).toMatch(/^\d+ bytes of 32768$/);
    // The text: the same lines both ways, iotedge check's words.
    const [lt, rt] = await Promise.all([cli('check', ...local, ...hubFlags()), cli('check', ...remote)]);
    expect(rt).toEqual(lt);
    expect(lt.out).toContain('√ Kubernetes cluster reachable - OK (the API server answered)\n√ Permissions sufficient - OK');
    expect(lt.out).toContain('\n7 check(s) succeeded.\n1 check(s) were skipped.\n');
    // Local with the cluster only: the IoT Hub checks use the device's own credential, found in
    // the bridge's credential Secret (--ca as remotely: the sandbox hub's certificate is its own).
    const [lonly, lonlyText] = await Promise.all([cli('check', ...local, '--ca', hub.caFile!, '-o', 'json'), cli('check', ...local, '--ca', hub.caFile!)]);
    expect([lonly.code, lonly.err, lonlyText.code, lonlyText.err]).toEqual([0, '', 0, '']);
    const lco = JSON.parse(lonly.out) as CheckOut;
    expect(verdicts(lco)).toEqual(verdicts(ro));
    expect(lco.checks.filter((c) => c.id !== 'reported-size')).toEqual(ro.checks.filter((c) => c.id !== 'reported-size'));
    expect(lco.checks.find((c) => c.id === 'hub-reachable')).toMatchObject({ status: 'pass', message: 'IoT Hub answered with this credential' });
    // The reported size is computed from the cluster (the twin is IoT Hub's): it says so, and is close to the twin's.
    const localSize = /^(\d+) bytes of 32768 \(computed from the cluster as the bridge reports it; IoT Hub's copy may differ by a few hundred bytes \(the running bridge's notes about itself\)\)$/.exec(lco.checks.find((c) => c.id === 'reported-size')!.message);
    const remoteSize = /^(\d+) bytes of 32768$/.exec(byId['reported-size']!.message);
    expect(localSize).not.toBeNull();
    expect(Math.abs(Number(localSize![1]) - Number(remoteSize![1]))).toBeLessThanOrEqual(REPORTED_SIZE_TOLERANCE);
    // The same text lines but that one.
    const withoutSize = (text: string) => text.split('\n').filter((line) => !line.startsWith('√ Reported properties within 32 KB'));
    expect(withoutSize(lonlyText.out)).toEqual(withoutSize(rt.out));
    for (const out of [lonly.out, lonlyText.out]) expect(out).not.toContain(DEVICE_KEY());
  }, 30_000);

  test("locally a refused device key fails hub-reachable with exit 1 (flag or variable); the key is never printed", async () => {
    const badKey = Buffer.alloc(32, 7).toString('base64');
    const bad = hub.deviceConnectionString.replace(DEVICE_KEY(), badKey);
    const [text, json] = await Promise.all([cli('check', ...local, '--ca', hub.caFile!, '--device-connection-string', bad), cli('check', ...local, '--ca', hub.caFile!, '--device-connection-string', bad, '-o', 'json')]);
    expect([text.code, text.err, json.code, json.err]).toEqual([1, '', 1, '']);
    expect(text.out).toContain("× IoT Hub reachable, credential valid - Error\n    IoT Hub refused the device's credential (--device-connection-string)\n    the key was regenerated or belongs to another device");
    expect(text.out).toContain('· Clock in sync with IoT Hub - skipped (not checked (no IoT Hub time))');
    expect(text.out).toContain('√ Kubernetes cluster reachable - OK');
    expect(text.out).toContain('1 check(s) raised errors.');
    const out = JSON.parse(json.out) as CheckOut;
    expect(out.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['hub-reachable']);
    process.env.IOTEDGE_K8S_DEVICE_CONNECTION_STRING = bad;
    let fromEnv;
    try {
      fromEnv = await cli('check', ...local, '--ca', hub.caFile!);
    } finally {
      delete process.env.IOTEDGE_K8S_DEVICE_CONNECTION_STRING;
    }
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.out).toContain("IoT Hub refused the device's credential ($IOTEDGE_K8S_DEVICE_CONNECTION_STRING)");
    // Remotely the device's string has no use: one line, not silently ignored.
    const remoteWithDevice = await cli('check', ...remote, '--device-connection-string', bad);
    expect(remoteWithDevice).toEqual({ code: 1, out: '', err: 'error: --device-connection-string is for a local check (--kubeconfig FILE --namespace NS); remotely the IoT Hub checks use --hub-connection-string\n' });
    for (const r of [text, json, fromEnv, remoteWithDevice]) for (const key of [badKey, DEVICE_KEY()]) expect(r.out + r.err).not.toContain(key);
  }, 30_000);

  test('locally without any device credential the IoT Hub checks are skipped with how to give one; an $edgeAgent-only Secret is not used', async () => {
    const bare = 'verbs-no-credential';
    await core.createNamespace({ body: { metadata: { name: bare } } });
    const side = ['--kubeconfig', kube.kubeconfigPath!, '--namespace', bare, '--ca', hub.caFile!];
    const none = JSON.parse((await cli('check', ...side, '-o', 'json')).out) as CheckOut;
    expect(none.checks.find((c) => c.id === 'hub-reachable')).toEqual({
      id: 'hub-reachable',
      title: 'IoT Hub reachable, credential valid',
      status: 'skip',
      message: `not checked: no device credential found (no Secret iotedge-k8s-device in namespace '${bare}'); pass --device-connection-string (or set IOTEDGE_K8S_DEVICE_CONNECTION_STRING)`,
    });
    expect(none.checks.find((c) => c.id === 'clock-skew')!.status).toBe('skip');
    // The Secret of deploy/ with the $edgeAgent connection string only: checking it would mean connecting as $edgeAgent.
    await core.createNamespacedSecret({ namespace: bare, body: { metadata: { name: 'iotedge-k8s-device' }, stringData: { connectionString: hub.edgeAgentConnectionString } } });
    const moduleOnly = await cli('check', ...side);
    expect(moduleOnly.code).toBe(0);
    expect(moduleOnly.out).toContain(
      "· IoT Hub reachable, credential valid - skipped (not checked: no device credential found (Secret iotedge-k8s-device holds only the $edgeAgent module connection string (checking it would mean connecting as $edgeAgent, in the running bridge's place)); add the device connection string as its key deviceConnectionString, or pass --device-connection-string",
    );
    expect(moduleOnly.out).not.toContain(/SharedAccessKey=([^;]+)/.exec(hub.edgeAgentConnectionString)![1]);
  }, 30_000);

  test('a namespace the cluster does not have is one clear line and exit 1, not passing checks', async () => {
    expect(await cli('check', '--kubeconfig', kube.kubeconfigPath!, '--namespace', 'no-such-namespace')).toEqual({
      code: 1,
      out: '',
      err: "error: namespace 'no-such-namespace' does not exist in this cluster; pass the --namespace the bridge uses\n",
    });
  });

  test('exit 1 with an Error line and a hint when IoT Hub refuses the credential; the device-side checks are not asked', async () => {
    const r = await cli('check', '--hub-connection-string', hub.serviceConnectionString.replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=d3Jvbmc='), '--device-id', hub.deviceId, '--ca', hub.caFile!);
    expect(r.code).toBe(1);
    expect(r.out).toContain('× IoT Hub reachable, credential valid - Error\n    IoT Hub refused the credentials of the connection string\n    check the connection string');
    expect(r.out).toContain('· Modules running - skipped (not checked (IoT Hub did not answer, so the bridge cannot be asked))');
    expect(r.out).toContain('1 check(s) raised errors.');
  });
});

describe('support-bundle', () => {
  test('locally and remotely: a ZIP with the same parts, secrets redacted', async () => {
    const localZip = join(dir, 'local.zip');
    const remoteZip = join(dir, 'remote.zip');
    const l = await cli('support-bundle', ...local, '--ca', hub.caFile!, '--output', localZip, '--since', '10m');
    expect(l).toMatchObject({ code: 0, err: '' });
    expect(l.out).toMatch(new RegExp(`^Created support bundle at ${localZip.replace(/[.]/g, '\\.')} \\(\\d+ bytes\\)\n$`));
    const sasUrl = await azurite.containerSasUrl('verbs-bundles');
    const r = await cli('support-bundle', ...remote, '--sas-url', sasUrl, '--output', remoteZip);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('sig=');
    const listing = (file: string) => execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).split('\n').filter((x) => x !== '').sort();
    expect(listing(remoteZip)).toEqual(listing(localZip));
    expect(listing(localZip)).toEqual(expect.arrayContaining(['logs/SensorModule.log', 'logs/counter.log', 'cluster/objects.json', 'cluster/events.json', 'check.json', 'twin/reported.json']));
    for (const file of [localZip, remoteZip]) {
      const all = execFileSync('unzip', ['-p', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      expect(all).toContain('temperature 21.5');
      expect(all).not.toContain(REGISTRY_PASSWORD);
      expect(all).not.toContain(Buffer.from(REGISTRY_PASSWORD).toString('base64'));
      expect(all).not.toContain(DEVICE_KEY());
    }
    // check.json: the checks as `check` runs them, in its order; the modules from the cluster on both sides.
    // What a local bundle cannot hold, it says: the bridge runs outside this cluster, and the twin is IoT Hub's.
    const readme = execFileSync('unzip', ['-p', localZip, 'README.txt'], { encoding: 'utf8' });
    expect(readme).toContain(`\nNot collected:\n- bridge logs: no bridge pod in namespace '${NS}': a bridge outside the cluster keeps its log where it runs`);
    expect(readme).toContain('\n- twin: IoT Hub holds the $edgeAgent twin, which a local bundle does not read');
    expect(execFileSync('unzip', ['-p', remoteZip, 'bridge/logs.txt'], { encoding: 'utf8' })).not.toBe('');
    const bundleChecks = (file: string) => JSON.parse(execFileSync('unzip', ['-p', file, 'check.json'], { encoding: 'utf8' })) as { id: string; status: string; message: string }[];
    for (const file of [localZip, remoteZip]) {
      expect(bundleChecks(file).map((c) => c.id)).toEqual(CHECK_ORDER);
      expect(bundleChecks(file).find((c) => c.id === 'modules-running')).toMatchObject({ status: 'pass', message: '3 modules running' });
    }
    // The IoT Hub checks ran on both sides: the device's through its own link, the local bundle's
    // with the device's credential from the bridge's Secret, as a local `check` runs them. Only
    // the local one has IoT Hub's time (an HTTPS Date header; the bridge reads its twin over MQTT).
    const bundleVerdicts = (file: string) => bundleChecks(file).map((c) => `${c.id}=${c.status}`);
    expect(bundleVerdicts(localZip)).toEqual(bundleVerdicts(remoteZip).map((v) => (v === 'clock-skew=skip' ? 'clock-skew=pass' : v)));
    expect(bundleChecks(localZip).find((c) => c.id === 'hub-reachable')).toMatchObject({ status: 'pass', message: 'IoT Hub answered with this credential' });
    // The device's own bundle has its twin, with the registry password redacted.
    const desired = JSON.parse(execFileSync('unzip', ['-p', remoteZip, 'twin/desired.json'], { encoding: 'utf8' })) as { runtime: { settings: { registryCredentials: { acr: { password: string } } } } };
    expect(desired.runtime.settings.registryCredentials.acr.password).toBe('[redacted]');
  }, 60_000);

  test('remote without --sas-url is one clear line', async () => {
    const r = await cli('support-bundle', ...remote);
    expect(r).toMatchObject({ code: 1, err: expect.stringMatching(/^error: a remote support bundle needs --sas-url/) });
  });

  test('an --output that cannot be written is one clear line before the device uploads anything', async () => {
    const sasUrl = await azurite.containerSasUrl('verbs-unwritable');
    for (const [output, code] of [[join(dir, 'no-such-dir', 'b.zip'), 'ENOENT'], [dir, 'EISDIR']] as const) {
      expect(await cli('support-bundle', ...remote, '--sas-url', sasUrl, '--output', output)).toEqual({ code: 1, out: '', err: `error: cannot write ${output} (${code})\n` });
    }
    expect([...(await azurite.blobs('verbs-unwritable')).keys()]).toEqual([]);
  });
});

describe('check when something fails (last: these change the device)', () => {
  test('a module that cannot run fails the same check locally and remotely, exit 1 both ways', async () => {
    const broken = deploymentManifest({ ...{ modules: { SensorModule: dockerModule('sensor:1'), counter: dockerModule('counter:1'), broken: dockerModule('broken:1') } } });
    await registry.applyConfigurationContentOnDevice(hub.deviceId, broken as never);
    const failing = async (side: string[]) => {
      const r = await cli('check', ...side, '-o', 'json');
      const out = JSON.parse(r.out) as CheckOut;
      const modules = out.checks.find((c) => c.id === 'modules-running')!;
      return r.code === 1 && modules.status === 'fail' && modules.message.includes('broken (backoff') ? { r, out } : undefined;
    };
    const l = await waitFor('the local check to fail on the broken module', () => failing([...local, ...hubFlags()]), 30_000);
    const r = await waitFor('the remote check to fail on the broken module', () => failing(remote), 30_000);
    expect(verdicts(r.out)).toEqual(verdicts(l.out));
    expect(verdicts(r.out)).toContain('modules-running=fail');
    // Locally with the device's own credential (no service connection string): the same verdicts.
    const own = await waitFor("the local check with the device's credential to fail on the broken module", () => failing([...local, '--ca', hub.caFile!]), 30_000);
    expect(verdicts(own.out)).toEqual(verdicts(r.out));
    expect(l.out.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['modules-running']);
    const modules = r.out.checks.find((c) => c.id === 'modules-running')!;
    expect(modules).toMatchObject({ message: expect.stringMatching(/^not running: broken \(backoff: /), hint: "see 'iotedge-k8s logs MODULE' and 'iotedge-k8s list'" });
    // The broken module crashes a second after each start and is restarted after its back-off:
    // a single check can meet it in one of its short runs, so wait for one that meets it failing.
    const text = await waitFor('the remote text check to fail on the broken module', async () => {
      const t = await cli('check', ...remote);
      return t.code === 1 ? t : undefined;
    }, 30_000);
    expect(text.code).toBe(1);
    expect(text.out).toContain('× Modules running - Error\n    not running: broken (backoff');
    expect(text.out).toContain('1 check(s) raised errors.');
  }, 60_000);

  test('with the bridge stopped, a remote check fails the device-side checks with a hint; restart says the device is not connected', async () => {
    await running.stop();
    const r = await cli('check', ...remote, '-o', 'json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.out) as CheckOut;
    expect(out.checks.map((c) => c.id)).toEqual(CHECK_ORDER);
    expect(verdicts(out)).toEqual(CHECK_ORDER.map((id) => `${id}=${['hub-reachable', 'clock-skew', 'reported-size'].includes(id) ? 'pass' : 'fail'}`));
    const device = out.checks.find((c) => c.id === 'cluster-reachable')!;
    expect(device.message).toBe(`the bridge did not answer RunDeviceChecks: device '${hub.deviceId}' is not connected to IoT Hub (is its bridge running?)`);
    expect(device.hint).toContain("'iotedge-k8s check --kubeconfig FILE --namespace NS'");
    // The other verbs that need the bridge say the same in one line.
    expect(await cli('restart', 'SensorModule', ...remote)).toEqual({ code: 1, out: '', err: `error: device '${hub.deviceId}' is not connected to IoT Hub (is its bridge running?)\n` });
    // `list` reads the twin, whose last report still says running: IoT Hub's connection state tells it is not.
    const agent = (await rows(remote))[0]!;
    expect(agent).toMatchObject({ name: 'edgeAgent', status: 'unknown', description: 'Unknown', statusDescription: "not connected to IoT Hub (it last reported 'running'; the other modules are shown as last reported)" });
  }, 60_000);
});
