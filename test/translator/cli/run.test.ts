/**
 * `iotedge-k8s run` as a user starts it: the real CLI in a child process, against the Kubernetes
 * API emulator, in local-files mode. Covers where the operations server listens (127.0.0.1
 * unless `--ops-host` says otherwise) and how the process stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubEmulator } from '../../../sandbox/hub/index.js';
import { startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { repoRoot, samplePath } from '../../golden/samples.js';
import { waitFor } from '../../support/wait.js';

let kube: KubeEmulator;
const stateDir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-run-'));
const children: ChildProcess[] = [];

beforeAll(async () => {
  kube = await startKubeEmulator({ stateDir, timeFactor: 0.01 });
}, 30_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await kube?.stop();
});

interface Cli {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startCli(...extra: string[]): Cli {
  return startCliOn(kube, ...extra);
}

function startCliOn(cluster: KubeEmulator, ...extra: string[]): Cli {
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'bin/iotedge-k8s.js'), 'run', '--manifest', samplePath('webserver.json'), '--kubeconfig', cluster.kubeconfigPath!, '--namespace', `run-${children.length}`, '--status-file', join(stateDir, `status-${children.length}.json`), '--ops-port', '0', '--log-level', 'info', ...extra],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

/** The ops URL from the "bridge running" log line. */
async function opsUrl(cli: Cli): Promise<string> {
  return waitFor('the bridge running line', () => /"ops":"(http:\/\/[^"]+)"[^\n]*bridge running/.exec(cli.output())?.[1], 30_000);
}

async function reachable(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).status === 200;
  } catch {
    return false;
  }
}

describe('iotedge-k8s run: the operations server', () => {
  it('listens on 127.0.0.1 only by default', async () => {
    const cli = startCli();
    const url = await opsUrl(cli);
    const port = new URL(url).port;
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(await reachable(`http://127.0.0.1:${port}/healthz`)).toBe(true);
    // Another address of this host: refused, since only 127.0.0.1 is bound.
    expect(await reachable(`http://127.0.0.3:${port}/healthz`)).toBe(false);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  }, 60_000);

  it('listens on every interface with --ops-host 0.0.0.0', async () => {
    const cli = startCli('--ops-host', '0.0.0.0');
    const url = await opsUrl(cli);
    const port = new URL(url).port;
    expect(url).toBe(`http://0.0.0.0:${port}`);
    expect(await reachable(`http://127.0.0.3:${port}/healthz`)).toBe(true);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  }, 60_000);

  it('refuses an --ops-host that is not an IP address, in one line', async () => {
    const cli = startCli('--ops-host', 'everywhere');
    expect(await cli.exited).not.toBe(0);
    expect(cli.output()).toMatch(/'everywhere' is not an IP address/);
  }, 30_000);
});

describe('iotedge-k8s run: stopping', () => {
  /** A bridge whose cluster goes away, then a signal: the stop must not wait on the dead links. */
  async function bridgeWithDeadCluster(): Promise<Cli> {
    const dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-run-stop-'));
    const cluster = await startKubeEmulator({ stateDir: dir, timeFactor: 0.01 });
    const cli = startCliOn(cluster);
    await opsUrl(cli);
    await cluster.stop();
    return cli;
  }

  /** A bridge connected to IoT Hub, then the hub and the cluster go away (the sandbox stopped first). */
  async function bridgeWithDeadHub(): Promise<Cli> {
    const dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-run-stop-hub-'));
    const cluster = await startKubeEmulator({ stateDir: dir, timeFactor: 0.01 });
    const hub = await startHubEmulator({ stateDir: dir, serviceHost: '127.0.0.65' });
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'bin/iotedge-k8s.js'), 'run', '--connection-string', hub.edgeAgentConnectionString, '--ca', hub.caFile!, '--kubeconfig', cluster.kubeconfigPath!, '--namespace', 'run-hub', '--ops-port', '0'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let text = '';
    child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
    const cli: Cli = { child, output: () => text, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
    await opsUrl(cli);
    await waitFor('connected to IoT Hub', () => (text.includes('connected to IoT Hub as $edgeAgent') ? true : undefined), 30_000);
    await hub.stop();
    await cluster.stop();
    return cli;
  }

  it('finishes within a few seconds after SIGTERM while IoT Hub and the cluster are unreachable', async () => {
    const cli = await bridgeWithDeadHub();
    const signalled = Date.now();
    cli.child.kill('SIGTERM');
    const code = await Promise.race([cli.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 10_000))]);
    expect(code).not.toBe('still running');
    // The stop is bounded at 4 s, and a connection left open at 2 s more.
    expect(Date.now() - signalled).toBeLessThan(7_000);
  }, 90_000);

  it('finishes within a few seconds after SIGTERM while the cluster is unreachable', async () => {
    const cli = await bridgeWithDeadCluster();
    const signalled = Date.now();
    cli.child.kill('SIGTERM');
    const code = await Promise.race([cli.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 10_000))]);
    expect(code).not.toBe('still running');
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(cli.output()).toContain('Stopping the bridge.');
  }, 60_000);

  it('exits at once on a second Ctrl-C', async () => {
    const cli = await bridgeWithDeadCluster();
    cli.child.kill('SIGINT');
    await waitFor('the stop begun', () => (cli.output().includes('Stopping the bridge.') ? true : undefined), 5000);
    const second = Date.now();
    cli.child.kill('SIGINT');
    await cli.exited;
    expect(Date.now() - second).toBeLessThan(1500);
  }, 60_000);
});
