/**
 * Container processes: output lines, exit codes (128 + signal, 128 when the command cannot start),
 * and no module process outliving an emulator killed with SIGKILL (the preload's parent watchdog).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, expect, jest, test } from '@jest/globals';
import { ContainerProcess } from '../../../sandbox/kube/process-runner.js';
import { waitFor } from './harness.js';

jest.setTimeout(60_000);

function run(argv: string[]): { lines: string[]; proc: ContainerProcess; exit: Promise<number> } {
  const lines: string[] = [];
  let done: (code: number) => void = () => undefined;
  const exit = new Promise<number>((resolve) => (done = resolve));
  const proc = new ContainerProcess({ argv, cwd: tmpdir(), env: { PATH: process.env.PATH ?? '' } }, (l) => lines.push(l), done);
  return { lines, proc, exit };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('stdout and stderr become lines (a last line without newline too); the exit code is reported after them', async () => {
  const { lines, exit } = run(['sh', '-c', 'echo one; echo two >&2; printf three; exit 7']);
  expect(await exit).toBe(7);
  expect([...lines].sort()).toEqual(['one', 'three', 'two']);
});

test('stop: SIGTERM ends a plain process with 143; SIGKILL after the grace period gives 137', async () => {
  const polite = run(['sh', '-c', 'exec sleep 30']);
  await new Promise((r) => setTimeout(r, 100));
  expect(await polite.proc.stop(5_000)).toBe(143);
  const stubborn = run(['sh', '-c', 'trap "" TERM; echo up; while :; do sleep 0.05; done']);
  await waitFor('up', () => (stubborn.lines.includes('up') ? true : undefined));
  const started = Date.now();
  expect(await stubborn.proc.stop(300)).toBe(137);
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
});

test('a command that cannot start exits with 128 and says why', async () => {
  const { lines, exit } = run(['/nonexistent/binary']);
  expect(await exit).toBe(128);
  expect(lines).toEqual(['failed to start /nonexistent/binary: ENOENT']);
});

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('module processes end when the emulator is killed with SIGKILL', async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-orphans-'));
  const script = `import { startKubeEmulator } from './sandbox/kube/index.ts';
await startKubeEmulator({ stateDir: ${JSON.stringify(dir)}, timeFactor: 0.02 });
console.log('ready');
setInterval(() => {}, 1000);`;
  const emulator = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      emulator.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      emulator.once('exit', () => reject(new Error('the emulator exited')));
    });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(await readFile(join(dir, 'kubeconfig'), 'utf8'));
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'web' }, spec: { containers: [{ name: 'web', image: 'localhost:5000/webserver:1' }] } } });
    const ip = await waitFor('the pod IP', async () => (await core.readNamespacedPod({ namespace: 'default', name: 'web' })).status?.podIP);
    const { pid } = await waitFor('the web server', async () => (await (await fetch(`http://${ip}:8080/identity.json`)).json()) as { pid: number });
    expect(alive(pid)).toBe(true);
    emulator.kill('SIGKILL');
    await waitFor('the module process gone', () => (alive(pid) ? undefined : true), 5_000);
  } finally {
    emulator.kill('SIGKILL');
  }
});
