/**
 * `npm start` as a module developer uses it, with real processes only: the npm script (the
 * compiled bin) runs the sandbox, the bridge and the two sample modules of `modules/`; the
 * printed URL answers with the web server's page; `kubectl logs` and `kubectl delete pod` work on
 * the module processes; messages reaching the sandbox hub are printed; a local `check` on the
 * sandbox kubeconfig finds the device credential in its namespace. A second run side by side
 * (its own state dir, service host and ops port) follows a copy of the manifest: a save with
 * EXIT_AT_START=3 goes through the sandbox hub and is reported as backoff with exit code 3 and a
 * growing restartCount; saving the fix brings the module back to running.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import deviceSdk from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { Registry } from 'azure-iothub';
import { trustHubCa } from '../../sandbox/hub/index.js';
import { repoRoot } from '../golden/samples.js';
import { binPath, ensureBuilt } from '../support/build.js';
import { waitFor } from '../support/wait.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests and twins are free-form JSON here
type Json = any;

const run = promisify(execFile);

interface Started {
  child: ChildProcess;
  stateDir: string;
  /** stdout so far. */
  out: () => string;
  startedAt: number;
}

const started: Started[] = [];

function start(command: string, args: string[]): Started {
  const stateDir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-npm-start-'));
  const child = spawn(command, args.map((a) => a.replace('$STATE', stateDir)), { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.resume();
  const s = { child, stateDir, out: () => out, startedAt: Date.now() };
  started.push(s);
  return s;
}

async function stop(s: Started): Promise<void> {
  if (s.child.exitCode !== null || s.child.pid === undefined) return;
  const exited = new Promise((resolve) => s.child.once('exit', resolve));
  process.kill(-s.child.pid, 'SIGTERM');
  const timer = setTimeout(() => s.child.pid && process.kill(-s.child.pid, 'SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** The URL `module: http://...` the run printed for a module. */
function printedUrl(s: Started, moduleId: string): string | undefined {
  return new RegExp(`^${moduleId}: (http://\\S+)$`, 'm').exec(s.out())?.[1];
}

async function identity(url: string): Promise<{ moduleId: string; podName: string }> {
  return (await (await fetch(`${url}identity.json`)).json()) as { moduleId: string; podName: string };
}

function kubectl(s: Started, ...args: string[]): Promise<string> {
  return run('kubectl', ['--kubeconfig', join(s.stateDir, 'kubeconfig'), '-n', 'iotedge', ...args]).then((r) => r.stdout);
}

function hubJson(s: Started): Json {
  return JSON.parse(readFileSync(join(s.stateDir, 'hub.json'), 'utf8'));
}

let npmStart: Started;
let second: Started;
let manifestDir: string;
const template = JSON.parse(readFileSync(join(repoRoot, 'deployment-manifests', 'sample-modules', 'deployment.template.json'), 'utf8')) as Json;

function saveManifest(mutate: (webserver: Json) => void = () => undefined): void {
  const doc = structuredClone(template);
  mutate(doc.modulesContent.$edgeAgent['properties.desired'].modules.webserver);
  writeFileSync(join(manifestDir, 'deployment.template.json'), JSON.stringify(doc, null, 2));
}

beforeAll(() => {
  ensureBuilt();
  manifestDir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-manifest-'));
  symlinkSync(join(repoRoot, 'modules'), join(manifestDir, 'modules'));
  saveManifest();
  npmStart = start('npm', ['start', '--', '--state-dir', '$STATE', '--ops-port', '0', '--service-host', '127.0.0.71']);
}, 180_000);

afterAll(async () => {
  await Promise.all(started.map(stop));
  for (const s of started) rmSync(s.stateDir, { recursive: true, force: true });
  rmSync(manifestDir, { recursive: true, force: true });
}, 40_000);

describe('npm start', () => {
  it("prints the web server's URL within 15 s, and it answers with the module id and pod name", async () => {
    const url = await waitFor('the printed URL', () => printedUrl(npmStart, 'webserver') ?? (npmStart.child.exitCode !== null ? 'exited' : undefined), 30_000);
    expect(url).toMatch(/^http:\/\/127\.\d+\.0\.\d+:8080\/$/);
    const page = await identity(url);
    expect(Date.now() - npmStart.startedAt).toBeLessThan(15_000);
    const pods = await kubectl(npmStart, 'get', 'pods', '-l', 'net.azure-devices.edge.module=webserver', '-o', 'jsonpath={.items[*].metadata.name}');
    expect(page).toMatchObject({ moduleId: 'webserver', podName: pods.trim() });
    const html = await (await fetch(url)).text();
    expect(html).toContain(page.podName);
  }, 40_000);

  it("shows the module's real output in kubectl logs", async () => {
    const log = await waitFor('the listening line', async () => {
      const text = await kubectl(npmStart, 'logs', 'deploy/webserver');
      return /webserver listening on http:\/\/127\.\d+\.\d+\.\d+:8080/.test(text) ? text : undefined;
    });
    expect(log).not.toContain('started');
    const telemetryLog = await waitFor('the telemetry module log', async () => {
      const text = await kubectl(npmStart, 'logs', 'deploy/telemetry');
      return text !== '' ? text : undefined;
    });
    expect(telemetryLog).toMatch(/^telemetry: /m);
  }, 30_000);

  it('prints each message reaching the sandbox IoT Hub', async () => {
    const { deviceConnectionString } = hubJson(npmStart);
    const caPem = readFileSync(hubJson(npmStart).caFile, 'utf8');
    const client = deviceSdk.Client.fromConnectionString(deviceConnectionString, Mqtt);
    client.setOptions({ ca: caPem });
    try {
      await client.open();
      await client.sendEvent(new deviceSdk.Message(JSON.stringify({ probe: 42 })));
      await waitFor('the message printed', () => (npmStart.out().includes('IoT Hub <- edge-device: {"probe":42}') ? true : undefined));
    } finally {
      await client.close();
    }
  }, 30_000);

  it("a local check on the sandbox's kubeconfig finds the device's credential in its namespace, as on an installed device", async () => {
    const { caFile, deviceConnectionString } = hubJson(npmStart);
    const args = [binPath, 'check', '--kubeconfig', join(npmStart.stateDir, 'kubeconfig'), '--namespace', 'iotedge', '--ca', caFile, '-o', 'json'];
    // Exit 1 only if a check fails (a module still starting is a warning): the output is the same either way.
    const { stdout } = await run(process.execPath, args).catch((e: { stdout: string }) => e);
    const checks = Object.fromEntries((JSON.parse(stdout) as { checks: { id: string; status: string; message: string }[] }).checks.map((c) => [c.id, c]));
    expect(checks['hub-reachable']).toMatchObject({ status: 'pass', message: 'IoT Hub answered with this credential' });
    expect(checks['clock-skew']).toMatchObject({ status: 'pass' });
    expect(checks['reported-size']).toMatchObject({ status: 'pass', message: expect.stringMatching(/^\d+ bytes of 32768 \(computed from the cluster/) });
    expect(stdout).not.toContain(/SharedAccessKey=([^;]+)/.exec(deviceConnectionString as string)![1]);
  }, 30_000);

  it("shows the telemetry module's messages reaching the hub (it connects with the credentials the bridge gives it)", async () => {
    await waitFor('telemetry printed', async () => (/^IoT Hub <- edge-device\/telemetry: \{"sequence":/m.test(npmStart.out()) ? true : undefined), 30_000);
  }, 40_000);

  it('kubectl delete pod: a new web server process answers on the same address, with another pod name', async () => {
    const url = printedUrl(npmStart, 'webserver')!;
    const before = await identity(url);
    await kubectl(npmStart, 'delete', 'pod', before.podName);
    const after = await waitFor('a new pod answering', async () => {
      const page = await identity(url);
      return page.podName !== before.podName ? page : undefined;
    }, 30_000);
    expect(after.moduleId).toBe('webserver');
    expect(printedUrl(npmStart, 'webserver')).toBe(url);
  }, 60_000);
});

describe('a second run side by side, following its manifest file', () => {
  beforeAll(() => {
    second = start(process.execPath, [binPath, 'run', '--sandbox', '--manifest', manifestDir, '--state-dir', '$STATE', '--ops-port', '0', '--service-host', '127.0.0.72', '--kube-port', '16443']);
  });

  it('serves its own web server on its own address', async () => {
    const url = await waitFor('the second URL', () => printedUrl(second, 'webserver') ?? (second.child.exitCode !== null ? 'exited' : undefined), 40_000);
    expect(url).not.toBe(printedUrl(npmStart, 'webserver'));
    expect((await identity(url)).moduleId).toBe('webserver');
    expect((await identity(printedUrl(npmStart, 'webserver')!)).moduleId).toBe('webserver');
    expect(hubJson(second).serviceConnectionString).toContain('HostName=127.0.0.72;');
    expect(hubJson(npmStart).serviceConnectionString).toContain('HostName=127.0.0.71;');
    expect(readFileSync(join(second.stateDir, 'kubeconfig'), 'utf8')).toContain('server: https://127.0.0.1:16443');
  }, 60_000);

  it('a save with EXIT_AT_START=3 is reported as backoff with exit code 3 and a growing restartCount; saving the fix brings it back', async () => {
    const hub = hubJson(second);
    const registry = trustHubCa(Registry.fromConnectionString(hub.serviceConnectionString), readFileSync(hub.caFile, 'utf8'));
    const webserver = async (): Promise<Json> => ((await registry.getModuleTwin(hub.deviceId, '$edgeAgent')).responseBody as Json).properties.reported?.modules?.webserver;
    saveManifest((w) => (w.env.EXIT_AT_START = { value: '3' }));
    const crashed = await waitFor('backoff with exit code 3', async () => {
      const m = await webserver();
      return m?.runtimeStatus === 'backoff' && m.exitCode === 3 && m.restartCount >= 1 ? m : undefined;
    }, 40_000);
    expect(second.out()).toContain('(saved) through the sandbox IoT Hub');
    await waitFor('a growing restartCount', async () => ((await webserver())?.restartCount > crashed.restartCount ? true : undefined), 60_000);
    saveManifest();
    await waitFor('running again', async () => ((await webserver())?.runtimeStatus === 'running' ? true : undefined), 40_000);
    const url = printedUrl(second, 'webserver')!;
    expect((await waitFor('answering again', () => identity(url))).moduleId).toBe('webserver');
  }, 150_000);
});
