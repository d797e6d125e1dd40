/**
 * What a process container gets, seen from inside: a catalog `process` image (sh) prints its
 * environment (valueFrom secretKeyRef, configMapKeyRef, fieldRef, envFrom, $(VAR)), its args and
 * the files of its volumes under SANDBOX_ROOT; a missing Secret holds it in
 * CreateContainerConfigError until the Secret exists; a process that ignores SIGTERM is killed
 * after the pod's grace period, while `kubectl logs -f` follows its output to the end.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { ImageCatalog, startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { waitFor } from './harness.js';

jest.setTimeout(60_000);

const NS = 'default';
const SCRIPT = [
  'echo "arg=$1"',
  'echo "password=$PASSWORD greeting=$GREETING combined=$COMBINED"',
  'echo "pod=$POD_NAME ns=$POD_NAMESPACE ip=$POD_IP sandbox_ip=$SANDBOX_POD_IP hostname=$HOSTNAME"',
  'echo "fromenv=$CFG_greeting"',
  'echo "conf=$(cat "$SANDBOX_ROOT/etc/cfg/app.conf")"',
  'echo "pw=$(cat "$SANDBOX_ROOT/etc/creds/pw")"',
  'echo kept > "$SANDBOX_ROOT/data/f"; echo "emptydir=$(cat "$SANDBOX_ROOT/data/f")"',
  'echo "claim=$(cat "$SANDBOX_ROOT/claim/note" 2>/dev/null || echo none)"; echo written > "$SANDBOX_ROOT/claim/note"',
  'ls "$SANDBOX_ROOT/host" > /dev/null && echo hostpath=ok',
  'echo "cwd=$(pwd)"',
  'echo ready',
  'exec sleep 3600',
].join('\n');

let emulator: KubeEmulator;
let dir: string;
let core: k8s.CoreV1Api;

const pod = (name: string, extra: Partial<k8s.V1PodSpec> = {}): k8s.V1Pod => ({
  metadata: { name, labels: { app: name } },
  spec: {
    containers: [
      {
        name: 'main',
        image: 'sandbox.test/dump:1',
        args: ['$(GREETING)'],
        workingDir: '/work',
        envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
        env: [
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
          { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
          { name: 'COMBINED', value: '$(GREETING)-world' },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        ],
        volumeMounts: [
          { name: 'cfg', mountPath: '/etc/cfg' },
          { name: 'creds', mountPath: '/etc/creds' },
          { name: 'scratch', mountPath: '/data' },
          { name: 'host', mountPath: '/host' },
          { name: 'claim', mountPath: '/claim' },
        ],
      },
    ],
    volumes: [
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'creds', secret: { secretName: 'creds', items: [{ key: 'password', path: 'pw' }] } },
      { name: 'scratch', emptyDir: {} },
      { name: 'host', hostPath: { path: '/srv/shared', type: 'DirectoryOrCreate' } },
      { name: 'claim', persistentVolumeClaim: { claimName: 'claim' } },
    ],
    ...extra,
  },
});

async function logsWhen(name: string, marker: string): Promise<string> {
  return waitFor(`${marker} in the log of ${name}`, async () => {
    const text = await core.readNamespacedPodLog({ namespace: NS, name });
    return text.includes(marker) ? text : undefined;
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-process-container-'));
  const catalog = new ImageCatalog({
    'sandbox.test/dump': { kind: 'process', command: ['sh', '-c', SCRIPT, 'sh'] },
    'sandbox.test/stubborn': { kind: 'process', command: ['sh', '-c', 'trap "echo ignoring TERM" TERM; echo up; while :; do sleep 0.1; done'] },
  });
  emulator = await startKubeEmulator({ stateDir: dir, timeFactor: 0.02, catalog, modules: false });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(emulator.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'cfg' }, data: { greeting: 'hello', 'app.conf': 'a=1' } } });
  await core.createNamespacedPersistentVolumeClaim({
    namespace: NS,
    body: { metadata: { name: 'claim' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  });
});

afterAll(async () => {
  await emulator.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a missing Secret: its volume holds the pod in ContainerCreating (FailedMount), its env in CreateContainerConfigError', async () => {
  await core.createNamespacedPod({ namespace: NS, body: pod('first') });
  await core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name: 'envonly' },
      spec: { containers: [{ name: 'main', image: 'sandbox.test/stubborn:1', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nothere', key: 'x' } } }] }] },
    },
  });
  const mount = await waitFor('FailedMount', async () => (await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=first,reason=FailedMount' })).items[0]);
  expect(mount.message).toBe('MountVolume.SetUp failed: secret "creds" not found');
  const creating = (await core.readNamespacedPod({ namespace: NS, name: 'first' })).status?.containerStatuses?.[0];
  expect(creating?.state?.waiting?.reason).toBe('ContainerCreating');
  const waiting = await waitFor('CreateContainerConfigError', async () => {
    const cs = (await core.readNamespacedPod({ namespace: NS, name: 'envonly' })).status?.containerStatuses?.[0];
    return cs?.state?.waiting?.reason === 'CreateContainerConfigError' ? cs.state.waiting : undefined;
  });
  expect(waiting.message).toBe('secret "nothere" not found');
  await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'creds' }, stringData: { password: 's3cret' } } });
  await logsWhen('first', 'ready');
});

test('env (valueFrom, envFrom, $(VAR)), args, working directory and volume files reach the process', async () => {
  const podIP = (await core.readNamespacedPod({ namespace: NS, name: 'first' })).status!.podIP!;
  const logs = await logsWhen('first', 'ready');
  const root = join(dir, 'kubelet', 'pods', (await core.readNamespacedPod({ namespace: NS, name: 'first' })).metadata!.uid!, 'containers', 'main', 'root');
  expect(logs.split('\n')).toEqual([
    'arg=hello',
    'password=s3cret greeting=hello combined=hello-world',
    `pod=first ns=${NS} ip=${podIP} sandbox_ip=${podIP} hostname=first`,
    'fromenv=hello',
    'conf=a=1',
    'pw=s3cret',
    'emptydir=kept',
    'claim=none',
    'hostpath=ok',
    `cwd=${root}/work`,
    'ready',
    '',
  ]);
});

test('a claim keeps its files for the next pod', async () => {
  await core.deleteNamespacedPod({ namespace: NS, name: 'first', gracePeriodSeconds: 1 });
  await core.createNamespacedPod({ namespace: NS, body: pod('second') });
  const logs = await logsWhen('second', 'ready');
  expect(logs).toContain('claim=written\n');
});

test('a process that ignores SIGTERM is killed after the grace period, then the pod is gone', async () => {
  await core.createNamespacedPod({
    namespace: NS,
    body: { metadata: { name: 'stubborn' }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'sandbox.test/stubborn:1' }] } },
  });
  await logsWhen('stubborn', 'up');
  let followed = '';
  const follower = spawn('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), 'logs', '-f', 'stubborn'], { stdio: ['ignore', 'pipe', 'ignore'] });
  follower.stdout.on('data', (d: Buffer) => (followed += d.toString()));
  const followEnded = new Promise((resolve) => follower.once('exit', resolve));
  await waitFor('kubectl logs -f printing', () => (followed.includes('up') ? true : undefined));
  const started = Date.now();
  await core.deleteNamespacedPod({ namespace: NS, name: 'stubborn' });
  await waitFor('the TERM trap', async () => ((await core.readNamespacedPodLog({ namespace: NS, name: 'stubborn' })).includes('ignoring TERM') ? true : undefined));
  await waitFor('the pod gone', async () => {
    try {
      await core.readNamespacedPod({ namespace: NS, name: 'stubborn' });
      return undefined;
    } catch {
      return true;
    }
  });
  const elapsed = Date.now() - started;
  expect(elapsed).toBeGreaterThanOrEqual(900);
  expect(elapsed).toBeLessThan(5_000);
  await followEnded;
  expect(followed).toBe('up\nignoring TERM\n');
});
