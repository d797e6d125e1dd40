/**
 * `iotedge-k8s run` as a user runs it (the compiled bin, spawned), against the emulators over
 * their real protocols:
 * - ordinary mistakes (kubeconfig, ops address and port, flags --sandbox would ignore) are one
 *   `error:` line naming the input and the fix, exit 1, found before anything is applied;
 * - local-files mode creates the status file's folder;
 * - every IoT Hub connection failure is named by its cause;
 * - a stop ends within a bounded time while the cluster API and IoT Hub do not answer, and a
 *   second signal ends it at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { startHubEmulator, type HubEmulator } from '../../../sandbox/hub/index.js';
import { startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { repoRoot } from '../../golden/samples.js';
import { binPath, ensureBuilt } from '../../support/build.js';
import { replay } from '../../support/screen.js';
import { waitFor } from '../../support/wait.js';

jest.setTimeout(90_000);

const manifest = join(repoRoot, 'deployment-manifests', 'webserver.json');
const dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-run-'));
let kube: KubeEmulator;
let hub: HubEmulator;
let kubeconfig: string;
let caFile: string;

interface Cli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
}

function cli(args: string[], env: Record<string, string | undefined> = {}): Cli {
  const child = spawn(process.execPath, [binPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: undefined, IOTEDGE_CONNECTION_STRING: undefined, ...env } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, atMs: Date.now() })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs the CLI to its end; its exit code and output. */
async function runToEnd(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = cli(args, env);
  const timer = setTimeout(() => c.child.kill('SIGKILL'), 30_000);
  const { code } = await c.exited;
  clearTimeout(timer);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

async function stop(c: Cli): Promise<void> {
  if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await c.exited;
}

async function namespaces(): Promise<string[]> {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kube.kubeconfig);
  return (await kc.makeApiClient(k8s.CoreV1Api).listNamespace()).items.map((n) => n.metadata!.name!);
}

beforeAll(async () => {
  ensureBuilt();
  kube = await startKubeEmulator({ timeFactor: 0.01 });
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kube.kubeconfig);
  hub = await startHubEmulator({ serviceHost: '127.0.0.153', seedEdgeDevice: 'run-device' });
  caFile = join(dir, 'hub-ca.pem');
  writeFileSync(caFile, hub.caPem);
});

afterAll(async () => {
  await hub?.stop();
  await kube?.stop();
});

/** Exactly one line, `error: ...`, exit 1. */
function expectOneLineError(r: { code: number | null; stderr: string }, ...parts: (string | RegExp)[]): void {
  expect(r.code).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  for (const p of parts) expect(lines[0]).toMatch(p);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

describe('ordinary mistakes are one line and exit 1', () => {
  test('a kubeconfig that is missing, a directory, or without a cluster, from the flag or KUBECONFIG', async () => {
    const noCluster = join(dir, 'empty.yaml');
    writeFileSync(noCluster, 'apiVersion: v1\nkind: Config\nclusters: []\n');
    const base = ['run', '--manifest', manifest, '--ops-port', '0', '--state-dir', join(dir, 'state-mistakes')];
    expectOneLineError(await runToEnd([...base, '--kubeconfig', join(dir, 'missing.yaml')]), 'missing.yaml', '--kubeconfig', 'no such file', /pass an existing kubeconfig/);
    expectOneLineError(await runToEnd([...base, '--kubeconfig', dir]), dir, 'is a directory', /pass the kubeconfig file/);
    expectOneLineError(await runToEnd([...base, '--kubeconfig', noCluster]), 'empty.yaml', 'no current cluster', /use-context/);
    expectOneLineError(await runToEnd(base, { KUBECONFIG: join(dir, 'gone') }), join(dir, 'gone'), '(KUBECONFIG)');
  });

  test('an ops host that is not an IP address, and a taken ops port: found before anything is applied', async () => {
    const base = ['run', '--manifest', manifest, '--kubeconfig', kubeconfig, '--namespace', 'never-applied', '--state-dir', join(dir, 'state-ops')];
    expectOneLineError(await runToEnd([...base, '--ops-port', '0', '--ops-host', '300.1.2.3']), "'300.1.2.3'", 'not an IP address', /127\.0\.0\.1/);
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      expectOneLineError(await runToEnd([...base, '--ops-host', '127.0.0.1', '--ops-port', String(port)]), `--ops-port ${port}`, 'already in use', /another --ops-port/);
    } finally {
      taken.close();
    }
    expect(await namespaces()).not.toContain('never-applied');
  });

  test.each([['--connection-string', 'HostName=h;DeviceId=d;ModuleId=$edgeAgent;SharedAccessKey=a2V5'], ['--kubeconfig', 'kubeconfig'], ['--ca', 'hub-ca.pem']])(
    'run --sandbox %s is refused, not silently ignored',
    async (flag, value) => {
      const r = await runToEnd(['run', '--sandbox', flag, value, '--state-dir', join(dir, 'state-sandbox'), '--ops-port', '0']);
      expectOneLineError(r, `${flag} cannot be used with --sandbox`, /leave it out/);
      expect(r.stderr).not.toContain('a2V5');
      expect(existsSync(join(dir, 'state-sandbox', 'hub.json'))).toBe(false);
    },
  );
});

test('local-files mode creates the folder of its status file; the metrics count the modules the table shows, edgeHub included', async () => {
  const stateDir = join(dir, 'not', 'there', 'yet');
  const c = cli(['run', '--manifest', manifest, '--kubeconfig', kubeconfig, '--namespace', 'files-mode', '--state-dir', stateDir, '--ops-port', '0', '--ops-host', '127.0.0.1']);
  try {
    const status = await waitFor('the status file', () => (existsSync(join(stateDir, 'status.json')) ? readFileSync(join(stateDir, 'status.json'), 'utf8') : undefined));
    expect(JSON.parse(status)).toHaveProperty('lastDesiredVersion');
    expect(c.stderr()).not.toContain('cannot write the status file');

    // The table (plain lines off a terminal) and /metrics agree on the modules and their statuses.
    await waitFor('every module running', () => (/module edgeHub: running/.test(c.stdout()) && /module webserverapp: running/.test(c.stdout()) ? true : undefined));
    const tableStatuses = new Map<string, string>();
    for (const [, name, runtime] of c.stdout().matchAll(/^module (\S+): (\S+)/gm)) tableStatuses.set(name!, runtime!);
    const ops = (JSON.parse(c.stderr().split('\n').find((l) => l.includes('"bridge running"'))!) as { ops: string }).ops;
    const metrics = await waitFor('the gauges of the table', async () => {
      const text = await (await fetch(`${ops}/metrics`)).text();
      const gauges = [...text.matchAll(/^iotedge_k8s_modules\{runtime_status="([^"]+)"\} (\d+)$/gm)].map(([, s, n]) => [s!, Number(n)] as const);
      const total = gauges.reduce((sum, [, n]) => sum + n, 0);
      return total === tableStatuses.size ? gauges : undefined;
    });
    expect(Object.fromEntries(metrics.filter(([, n]) => n > 0))).toEqual({ running: [...tableStatuses.values()].filter((s) => s === 'running').length });
    expect(tableStatuses.size).toBe(2);
  } finally {
    c.child.kill('SIGTERM');
    await c.exited;
  }
});

test('on a terminal, the live table never overwrites a log line nor the operations URL', async () => {
  // A pseudo-terminal (script) gets both stdout and stderr, as a user's terminal does.
  const run = [process.execPath, binPath, 'run', '--manifest', manifest, '--kubeconfig', kubeconfig, '--namespace', 'on-a-tty', '--state-dir', join(dir, 'state-tty'), '--ops-port', '0', '--ops-host', '127.0.0.1', '--log-level', 'debug'];
  const quoted = run.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const c = spawn('script', ['-qfec', `stty cols 400 rows 50; timeout -s INT 10 ${quoted}`, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: undefined } });
  let raw = '';
  c.stdout!.on('data', (d) => (raw += d));
  const exited = new Promise((resolve) => c.on('exit', resolve));
  // Once the module runs, its Deployment is deleted: the bridge logs the repair, then the table changes.
  await waitFor('webserverapp running', () => (/webserverapp +running +running/.test(raw) ? true : undefined));
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kube.kubeconfig);
  await kc.makeApiClient(k8s.AppsV1Api).deleteNamespacedDeployment({ name: 'webserverapp', namespace: 'on-a-tty' });
  await exited;
  const text = raw.replace(/\r\n/g, '\n');
  // The table was drawn again after log lines (the case where an in-place redraw overwrites them).
  const drawings = [...text.matchAll(/MODULE +DESIRED/g)].map((m) => m.index!);
  expect(drawings.length).toBeGreaterThan(1);
  expect(text.slice(drawings[0], drawings.at(-1))).toContain('{"level"');
  const screen = replay([text]);
  // Every log line and message written is still on the screen, whole.
  const clearLine = '\u001b[2K';
  const written = text.split('\n').map((l) => (l.includes(clearLine) ? l.slice(l.lastIndexOf(clearLine) + clearLine.length) : l).replace(/^\r/, '')).filter((l) => l.startsWith('{"level"') || l.startsWith('Metrics and health:'));
  expect(written.length).toBeGreaterThan(5);
  for (const line of written) expect(screen).toContain(line);
  expect(screen.some((l) => /^Metrics and health: http:\/\/127\.0\.0\.1:\d+\/metrics/.test(l))).toBe(true);
  expect(screen.some((l) => l.includes('"bridge running"') && l.includes('"ops":"http://127.0.0.1:'))).toBe(true);
});

describe('IoT Hub connection failures are named by their cause', () => {
  const withGateway = (gateway: string) => hub.edgeAgentConnectionString.replace(/GatewayHostName=[^;]+/, `GatewayHostName=${gateway}`);
  const wrongKey = () => hub.edgeAgentConnectionString.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.from('not the key of this module!!').toString('base64')}`);
  const CAUSES = { certificate: /not trusted/, refused: /connection was refused/, dns: /does not resolve/, credentials: /refused the credentials/ };
  test.each([
    ['a CA that is not trusted', () => hub.edgeAgentConnectionString, false, 'certificate', /--ca FILE/, 'self-signed certificate'],
    ['a closed port', () => withGateway('127.0.0.1:1'), true, 'refused', /check HostName/, 'ECONNREFUSED'],
    ['an unknown host', () => withGateway('no-such-host.invalid:8883'), true, 'dns', /check HostName/, 'no-such-host.invalid'],
    ['a wrong key', wrongKey, true, 'credentials', /check the SharedAccessKey/, 'Not authorized'],
  ] as const)('%s', async (_case, connectionString, withCa, cause, hint, detail) => {
    const cs = connectionString();
    const c = cli(['run', '--connection-string', cs, ...(withCa ? ['--ca', caFile] : []), '--kubeconfig', kubeconfig, '--namespace', 'hub-failures', '--ops-port', '0', '--ops-host', '127.0.0.1']);
    try {
      const line = await waitFor('the connection failure logged', () => c.stderr().split('\n').find((l) => l.includes('cannot reach IoT Hub')));
      const error = (JSON.parse(line) as { error: string }).error;
      expect(error).toMatch(CAUSES[cause]);
      expect(error).toMatch(hint);
      expect(error).toContain(detail);
      for (const [name, other] of Object.entries(CAUSES)) if (name !== cause) expect(error).not.toMatch(other);
      expect(c.stderr()).not.toContain(cs.match(/SharedAccessKey=([^;]+)/)![1]);
    } finally {
      c.child.kill('SIGTERM');
      await c.exited;
    }
  });
});

describe('stopping while the cluster API and IoT Hub do not answer', () => {
  let sandbox: Cli;
  let hubJson: { edgeAgentConnectionString: string; caFile: string };
  const stateDir = join(dir, 'frozen-sandbox');

  beforeAll(async () => {
    mkdirSync(stateDir, { recursive: true });
    sandbox = cli(['sandbox', '--state-dir', stateDir, '--service-host', '127.0.0.154']);
    await waitFor('the sandbox', () => (existsSync(join(stateDir, 'hub.json')) && existsSync(join(stateDir, 'kubeconfig')) ? true : undefined), 30_000);
    hubJson = JSON.parse(readFileSync(join(stateDir, 'hub.json'), 'utf8'));
  });

  afterAll(async () => {
    sandbox.child.kill('SIGCONT');
    await stop(sandbox);
  });

  /** A bridge on the sandbox, running with its twin; then the sandbox frozen (SIGSTOP: connections stay open, nothing answers). */
  async function bridgeOnFrozenSandbox(): Promise<Cli> {
    sandbox.child.kill('SIGCONT');
    const args = ['run', '--connection-string', hubJson.edgeAgentConnectionString, '--ca', hubJson.caFile, '--kubeconfig', join(stateDir, 'kubeconfig'), '--ops-port', '0', '--ops-host', '127.0.0.1'];
    const c = cli(args);
    await waitFor('the bridge connected', () => (c.stderr().includes('connected to IoT Hub') ? true : c.child.exitCode !== null ? false : undefined), 30_000);
    expect(c.child.exitCode).toBeNull();
    sandbox.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 300));
    return c;
  }

  test('SIGTERM ends the process within a few seconds', async () => {
    const c = await bridgeOnFrozenSandbox();
    try {
      const sent = Date.now();
      c.child.kill('SIGTERM');
      const { code, atMs } = await Promise.race([c.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running 15 s after SIGTERM:\n${c.stderr().slice(-2000)}`)), 15_000))]);
      expect(atMs - sent).toBeLessThan(8_000);
      expect(code).toBe(0);
      expect(c.stdout()).toContain('Stopping the bridge.');
    } finally {
      await stop(c);
    }
  });

  test('a second Ctrl-C ends it at once', async () => {
    const c = await bridgeOnFrozenSandbox();
    try {
      c.child.kill('SIGINT');
      await waitFor('the stop begun', () => (c.stdout().includes('Stopping the bridge') ? true : undefined));
      const sent = Date.now();
      c.child.kill('SIGINT');
      const { code, atMs } = await c.exited;
      expect(atMs - sent).toBeLessThan(1_500);
      expect(code).toBe(130);
      expect(c.stderr()).toContain('Second signal: exiting now');
    } finally {
      await stop(c);
    }
  });
});
