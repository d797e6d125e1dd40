/**
 * `iotedge-k8s fleet` end to end: two IoT Edge devices of one sandbox hub, each with its own
 * bridge (in-process, each in its own namespace of one emulated cluster), deployed by a base
 * and layered configurations; the fleet view shows their real state and the deployments' counts.
 * The service API is on 127.0.0.51:443: run inside a network namespace.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'azure-iothub';
import { startHubEmulator, trustHubCa, type HubEmulator } from '../../../sandbox/hub/index.js';
import { ImageCatalog, startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { main, startRun, type Io, type RunningBridge } from '../../../translator/cli/index.js';
import type { FleetView } from '../../../translator/cli/fleet.js';
import { samplePath } from '../../golden/samples.js';
import { waitFor } from '../../support/wait.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are free-form JSON here
type Json = any;

const DEVICES = ['edge-a', 'edge-b'] as const;
let kube: KubeEmulator;
let hub: HubEmulator;
let registry: Registry;
const bridges: RunningBridge[] = [];
let bridgeOutput = '';

async function fleet(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['fleet', ...args], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

async function fleetJson(...args: string[]): Promise<FleetView> {
  const { code, stdout, stderr } = await fleet('--hub-connection-string', hub.serviceConnectionString, '--ca', hub.caFile!, '-o', 'json', ...args);
  if (code !== 0) throw new Error(`fleet failed: ${stderr}`);
  return JSON.parse(stdout) as FleetView;
}

const module = (image: string): Json => ({ version: '1.0', type: 'docker', status: 'running', restartPolicy: 'always', settings: { image, createOptions: '{}' } });

beforeAll(async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-fleet-'));
  const catalog = ImageCatalog.fromJson({ 'contoso.azurecr.io/crasher:1.0': { kind: 'crash', code: 3, afterMs: 50 } });
  kube = await startKubeEmulator({ stateDir, timeFactor: 0.01, catalog, loadBalancerPool: ['192.0.2.30-192.0.2.40'] });
  hub = await startHubEmulator({ stateDir, serviceHost: '127.0.0.51', seedEdgeDevice: 'edge-a' });
  registry = trustHubCa(Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  await registry.create({ deviceId: 'edge-b', capabilities: { iotEdge: true } } as never);
  await registry.create({ deviceId: 'leaf', capabilities: { iotEdge: false } } as never);
  await registry.updateTwin('edge-a', { tags: { env: 'prod' } }, '*');
  await registry.updateTwin('edge-b', { tags: { env: 'prod', ring: 'canary' } }, '*');
  await registry.updateTwin('leaf', { tags: { env: 'prod' } }, '*');

  const io: Io = { stdout: (t) => (bridgeOutput += t), stderr: (t) => (bridgeOutput += t) };
  for (const device of DEVICES) {
    const dir = mkdtempSync(join(stateDir, `${device}-`));
    bridges.push(
      await startRun(
        {
          kubeconfig: kube.kubeconfigPath,
          namespace: `ns-${device}`,
          connectionString: hub.connectionString(device, '$edgeAgent'),
          ca: hub.caFile,
          layer: [],
          stateDir: dir,
          opsPort: 0,
          opsHost: '127.0.0.1',
          logLevel: 'warn',
          translate: {},
        },
        io,
      ),
    );
  }

  const base = JSON.parse(readFileSync(samplePath('webserver.json'), 'utf8')) as Json;
  await registry.addConfiguration({ id: 'fleet-base', schemaVersion: '1.0', priority: 10, targetCondition: "tags.env='prod'", labels: {}, content: base } as never);
  await registry.addConfiguration({
    id: 'fleet-sensor',
    schemaVersion: '1.0',
    priority: 20,
    targetCondition: "tags.env='prod'",
    labels: {},
    content: { modulesContent: { $edgeAgent: { 'properties.desired.modules.sensor': module('mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.5') } } },
  } as never);
  await registry.addConfiguration({
    id: 'fleet-canary',
    schemaVersion: '1.0',
    priority: 30,
    targetCondition: "tags.ring='canary'",
    labels: {},
    content: { modulesContent: { $edgeAgent: { 'properties.desired.modules.crasher': module('contoso.azurecr.io/crasher:1.0') } } },
  } as never);
}, 90_000);

afterAll(async () => {
  for (const bridge of bridges) await bridge.stop();
  await hub?.stop();
  await kube?.stop();
});

describe('iotedge-k8s fleet', () => {
  test('shows both devices with their real state and each deployment with its counts', async () => {
    const view = await waitFor(
      'both bridges caught up with their deployments',
      async () => {
        const v = await fleetJson();
        const [a, b] = v.devices;
        const settled = (d: FleetView['devices'][number] | undefined) => d !== undefined && d.statusCode === 200 && d.reportedVersion === d.desiredVersion;
        return settled(a) && settled(b) && a!.modulesRunning === 3 && b!.modulesTotal === 4 && b!.notRunning[0]?.exitCode === 3 ? v : undefined;
      },
      60_000,
    );
    // leaf is no IoT Edge device: not listed.
    expect(view.devices.map((d) => d.deviceId)).toEqual(['edge-a', 'edge-b']);
    for (const device of view.devices) {
      const twin = (await registry.getModuleTwin(device.deviceId, '$edgeAgent')).responseBody as Json;
      expect(device.desiredVersion).toBe(twin.properties.desired.$version);
      expect(device.reportedVersion).toBe(twin.properties.reported.lastDesiredVersion);
      expect(device.connected).toBe(true);
    }
    expect(view.devices[0]).toMatchObject({ deviceId: 'edge-a', modulesRunning: 3, modulesTotal: 3, notRunning: [] });
    expect(view.devices[1]).toMatchObject({ deviceId: 'edge-b', modulesRunning: 3, modulesTotal: 4 });
    // The crasher's description changes with each back-off, and between two crashes it runs for
    // a moment: fleet shows what the agent reports once two reads of the twin around a fleet read
    // agree on a crasher that is not running.
    const crasherNow = async (): Promise<Json> => (await registry.getModuleTwin('edge-b', '$edgeAgent')).responseBody.properties.reported.modules.crasher;
    const [crasher, shown] = await waitFor('a stable report of the crasher not running', async () => {
      const before = await crasherNow();
      const problem = (await fleetJson()).devices[1]!.notRunning;
      const after = await crasherNow();
      return JSON.stringify(before) === JSON.stringify(after) && after.runtimeStatus !== 'running' ? ([after, problem] as const) : undefined;
    });
    expect(shown).toEqual([{ module: 'crasher', desiredStatus: 'running', runtimeStatus: crasher.runtimeStatus, statusDescription: crasher.statusDescription, exitCode: 3 }]);
    expect(['backoff', 'failed']).toContain(crasher.runtimeStatus);

    expect(view.deployments).toEqual([
      { id: 'fleet-canary', priority: 30, layered: true, targetCondition: "tags.ring='canary'", targeted: 1, applied: 1, reportedSuccessful: 1, reportedFailed: 0 },
      { id: 'fleet-sensor', priority: 20, layered: true, targetCondition: "tags.env='prod'", targeted: 2, applied: 2, reportedSuccessful: 2, reportedFailed: 0 },
      { id: 'fleet-base', priority: 10, layered: false, targetCondition: "tags.env='prod'", targeted: 2, applied: 2, reportedSuccessful: 2, reportedFailed: 0 },
    ]);

    const { code, stdout } = await fleet('--hub-connection-string', hub.serviceConnectionString, '--ca', hub.caFile!);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^DEVICE\s+CONNECTED\s+DESIRED\s+REPORTED\s+STATUS\s+RUNNING\s+NOT RUNNING$/);
    expect(lines[1]).toMatch(new RegExp(`^edge-a\\s+yes\\s+${view.devices[0]!.desiredVersion}\\s+${view.devices[0]!.reportedVersion}\\s+200\\s+3/3$`));
    expect(lines[2]).toMatch(/^edge-b\s+yes\s+\d+\s+\d+\s+200\s+3\/4\s+crasher: (backoff|failed) \(exit 3, .+\)$/);
    expect(stdout).toMatch(/^DEPLOYMENT\s+PRIORITY\s+KIND\s+TARGETED\s+APPLIED\s+SUCCESSFUL\s+FAILED\s+TARGET CONDITION$/m);
    expect(stdout).toMatch(/^fleet-sensor\s+20\s+layered\s+2\s+2\s+2\s+0\s+tags\.env='prod'$/m);
    expect(stdout).not.toContain(hub.registry.policyKey);
  }, 90_000);

  test('the reader pages through the queries', async () => {
    const { FleetReader } = await import('../../../translator/cli/fleet.js');
    const paged = await new FleetReader(hub.serviceConnectionString, hub.caPem, 30_000, 1).read(undefined);
    expect(paged.devices.map((d) => d.deviceId)).toEqual(['edge-a', 'edge-b']);
    expect(paged.devices.every((d) => d.desiredVersion !== null)).toBe(true);
    // The crashing module's description changes with each back-off: compare what stays.
    const stable = (v: FleetView) => ({ deployments: v.deployments, devices: v.devices.map((d) => [d.deviceId, d.desiredVersion, d.reportedVersion, d.modulesTotal]) });
    expect(stable(paged)).toEqual(stable(await fleetJson()));
  });

  test('--where selects devices by their twin', async () => {
    expect((await fleetJson('--where', "tags.ring = 'canary'")).devices.map((d) => d.deviceId)).toEqual(['edge-b']);
    expect((await fleetJson('--where', "NOT IS_DEFINED(tags.ring)")).devices.map((d) => d.deviceId)).toEqual(['edge-a']);
    const bad = await fleet('--hub-connection-string', hub.serviceConnectionString, '--ca', hub.caFile!, '--where', "tags.ring = 'canary");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: IoT Hub 127\.0\.0\.51 refused the request \(HTTP 400\): .*unterminated string.*\n$/);
  });

  test('--watch prints again when the fleet changes and stops on the signal', async () => {
    let stdout = '';
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const { runFleet } = await import('../../../translator/cli/fleet.js');
    const done = runFleet({ hubConnectionString: hub.serviceConnectionString, ca: hub.caFile!, output: 'table', watch: true, interval: 0.2 }, { stdout: (t) => (stdout += t), stderr: (t) => (stdout += t) }, stopped);
    await waitFor('first drawing', () => (stdout.includes('fleet-canary') ? true : undefined));
    expect(stdout.match(/^--- \d{4}-/gm)).toHaveLength(1);
    await registry.removeConfiguration('fleet-canary');
    await waitFor('drawing without the canary deployment', () => (stdout.split(/^--- /m).pop()!.includes('fleet-canary') ? undefined : true), 30_000);
    stop();
    expect(await done).toBe(0);
  }, 60_000);

  test('a bad connection string, a wrong key, an untrusted certificate and an unreachable hub are one line each', async () => {
    const run = async (cs: string, ...more: string[]) => {
      const r = await fleet('--hub-connection-string', cs, ...more);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stdout).toBe('');
      return r.stderr;
    };
    expect(await run('not-a-connection-string')).toMatch(/^error: --hub-connection-string is not an IoT Hub connection string/);
    const wrongKey = hub.serviceConnectionString.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.alloc(32, 1).toString('base64')}`);
    expect(await run(wrongKey, '--ca', hub.caFile!)).toBe('error: IoT Hub 127.0.0.51 refused the credentials of the connection string\n');
    expect(await run(hub.serviceConnectionString)).toMatch(/^error: cannot verify the TLS certificate of 127\.0\.0\.51 \(\w+\); pass the hub's CA with --ca FILE\n$/);
    expect(await run(hub.serviceConnectionString.replace('127.0.0.51', '127.0.0.59'), '--ca', hub.caFile!)).toBe('error: cannot reach IoT Hub at 127.0.0.59 (ECONNREFUSED)\n');
    const notPem = join(mkdtempSync(join(tmpdir(), 'fleet-ca-')), 'ca.pem');
    writeFileSync(notPem, 'hello');
    expect(await run(hub.serviceConnectionString, '--ca', notPem)).toBe(`error: --ca ${notPem} is not a PEM certificate\n`);
  }, 60_000);
});

describe('fleet view from twins (pure)', () => {
  test('a deployed module that the agent has not reported counts as not running; after a refused deployment, as not deployed', async () => {
    const { deviceState } = await import('../../../translator/cli/fleet.js');
    const agent = {
      connectionState: 'Disconnected',
      properties: {
        desired: { $version: 7, systemModules: { edgeHub: {} }, modules: { web: { status: 'running' }, batch: { status: 'stopped' } } },
        reported: {
          lastDesiredVersion: 6,
          lastDesiredStatus: { code: 400, description: 'invalid deployment' },
          systemModules: { edgeHub: { runtimeStatus: 'running' } },
          modules: { batch: { runtimeStatus: 'stopped', exitCode: 0, statusDescription: 'Completed', status: 'stopped' } },
        },
      },
    };
    expect(deviceState('d1', agent)).toEqual({
      deviceId: 'd1',
      connected: false,
      desiredVersion: 7,
      reportedVersion: 6,
      statusCode: 400,
      statusDescription: 'invalid deployment',
      modulesRunning: 1,
      modulesTotal: 3,
      notRunning: [
        { module: 'batch', desiredStatus: 'stopped', runtimeStatus: 'stopped', statusDescription: 'Completed', exitCode: 0 },
        // A refused deployment (400) added it: the device never deployed it.
        { module: 'web', desiredStatus: 'running', runtimeStatus: 'not deployed', statusDescription: 'the device refused the desired deployment (400)' },
      ],
    });
    // After a failure that is not a refusal (500), a module missing from the report is just that.
    const failed = { ...agent, properties: { ...agent.properties, reported: { ...agent.properties.reported, lastDesiredStatus: { code: 500, description: 'web: ImagePullBackOff' } } } };
    expect(deviceState('d1', failed).notRunning[1]).toEqual({ module: 'web', desiredStatus: 'running', runtimeStatus: 'not reported' });
    expect(deviceState('d2', undefined)).toMatchObject({ desiredVersion: null, reportedVersion: null, statusCode: null, modulesTotal: 0 });
  });

  test('the table cuts a long status description to its column; -o json keeps it whole', async () => {
    const { deviceState, renderFleet, STATUS_COLUMN_MAX } = await import('../../../translator/cli/fleet.js');
    const description = `deployment refused: ${'x'.repeat(120)}`;
    const device = deviceState('d1', { connectionState: 'Connected', properties: { desired: { $version: 2 }, reported: { lastDesiredVersion: 2, lastDesiredStatus: { code: 400, description } } } });
    expect(device.statusDescription).toBe(description);
    const row = renderFleet({ devices: [device], deployments: [] }).split('\n')[1]!;
    const cell = `400 ${description}`.slice(0, STATUS_COLUMN_MAX - 1) + '…';
    expect(row).toContain(` ${cell} `);
    expect(row).not.toContain('x'.repeat(STATUS_COLUMN_MAX));
  });
});
