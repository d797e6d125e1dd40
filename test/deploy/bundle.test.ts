/**
 * The image's entry point is the esbuild bundle (dist/bundle/cli/entry.js, scripts/bundle.mjs).
 * Run as deploy/Dockerfile runs it (its node flags), it does the bridge's whole job against the
 * emulators: connects to IoT Hub over MQTT, takes a deployment from the twin, applies it, reports
 * it, and answers /readyz 200. The CommonJS SDKs inside the bundle (azure-iot-device, MQTT.js,
 * pino, prom-client) are exercised for real here.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import iothub, { type Registry } from 'azure-iothub';
import { startHubEmulator, trustHubCa, type HubEmulator } from '../../sandbox/hub/index.js';
import { startKubeEmulator, type KubeEmulator } from '../../sandbox/kube/index.js';
import { repoRoot, samplePath } from '../golden/samples.js';
import { ensureBuilt } from '../support/build.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- twins are free-form JSON here
type Json = any;

const ENTRY = 'dist/bundle/cli/entry.js';
const run = promisify(execFile);
let dir: string;
let kube: KubeEmulator;
let hub: HubEmulator;
let registry: Registry;
let bridge: ChildProcess | undefined;

/** The node flags of deploy/Dockerfile's ENTRYPOINT (between `node` and the script), and its script. */
function imageEntrypoint(): { flags: string[]; script: string } {
  const dockerfile = readFileSync(join(repoRoot, 'deploy', 'Dockerfile'), 'utf8');
  const args = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
  const at = args.findIndex((a, i) => i > 0 && !a.startsWith('-'));
  return { flags: args.slice(1, at), script: args[at]! };
}

const status = (url: string) =>
  new Promise<number | undefined>((resolve) => {
    get(url, (res) => {
      res.resume();
      resolve(res.statusCode);
    }).once('error', () => resolve(undefined));
  });

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (bridge?.exitCode !== null && bridge?.exitCode !== undefined) throw new Error(`the bridge exited (${bridge.exitCode}) while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-bundle-'));
  kube = await startKubeEmulator({ stateDir: dir, timeFactor: 0.01 });
  hub = await startHubEmulator({ stateDir: dir, serviceHost: '127.0.0.181' });
  registry = trustHubCa(iothub.Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
}, 120_000);

afterAll(async () => {
  if (bridge && bridge.exitCode === null) {
    bridge.kill('SIGKILL');
    await new Promise((r) => bridge!.once('exit', r));
  }
  await hub?.stop();
  await kube?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('the image runs the bundle, which applies and reports a deployment from the twin and turns ready', async () => {
  const { flags, script } = imageEntrypoint();
  expect(script).toBe(ENTRY);
  const doc = JSON.parse(readFileSync(samplePath('webserver.json'), 'utf8')) as Json;
  await registry.applyConfigurationContentOnDevice(hub.deviceId, doc);
  const version = ((await registry.getModuleTwin(hub.deviceId, '$edgeAgent')).responseBody as Json).properties.desired.$version as number;

  bridge = spawn(process.execPath, [...flags, script, 'run', '--kubeconfig', kube.kubeconfigPath!, '--connection-string', hub.edgeAgentConnectionString, '--ca', hub.caFile!, '--namespace', 'bundled', '--ops-port', '0', '--ops-host', '127.0.0.1'], {
    cwd: repoRoot,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  bridge.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  bridge.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));

  const opsUrl = await until('the operations URL', async () => /Metrics and health: (http:\/\/\S+)\/metrics/.exec(stdout)?.[1]);
  await until('/readyz 200', async () => ((await status(`${opsUrl}/readyz`)) === 200 ? true : undefined));
  const reported = await until('the deployment reported', async () => {
    const r = ((await registry.getModuleTwin(hub.deviceId, '$edgeAgent')).responseBody as Json).properties.reported;
    return r?.lastDesiredVersion === version && r.lastDesiredStatus?.code === 200 ? r : undefined;
  });
  expect(Object.keys(reported.modules)).toEqual(['webserverapp']);
  const deployment = await until('the Deployment in the cluster', async () => {
    const got = await run('kubectl', ['--kubeconfig', kube.kubeconfigPath!, 'get', 'deployment', '-n', 'bundled', 'webserverapp', '-o', 'json'], { timeout: 30_000 }).catch(() => undefined);
    return got === undefined ? undefined : (JSON.parse(got.stdout) as Json);
  });
  expect(deployment.spec.template.spec.containers[0].image).toBe(doc.modulesContent.$edgeAgent['properties.desired'].modules.webserverapp.settings.image);
  const lines = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });
  expect(lines.map((l) => l.msg)).toContain('connected to IoT Hub as $edgeAgent');
  // No error logged, and nothing but JSON log lines on stderr (no warning of node about the bundle).
  expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  expect(stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'))).toEqual([]);
}, 120_000);
