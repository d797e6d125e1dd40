/**
 * The repository's web server module as a real process in the sandbox: reached through its
 * LoadBalancer address, logs through kubectl, replaced after `kubectl delete pod`, crash-looping
 * with EXIT_AT_START, two of them on the same container port, none left after stop. Everything is
 * observed through the Kubernetes API (client-node, kubectl) and over HTTP.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { waitFor } from './harness.js';

jest.setTimeout(90_000);

const IMAGE = 'localhost:5000/webserver:0.1.0-amd64';
const NS = 'default';

let emulator: KubeEmulator | undefined;
let dir: string;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
const pids = new Set<number>();

function kubectl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

interface Identity {
  moduleId?: string;
  podName: string;
  pid: number;
}

async function identity(url: string): Promise<Identity> {
  const res = await fetch(`${url}/identity.json`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  const body = (await res.json()) as Identity;
  pids.add(body.pid);
  return body;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function deployWeb(name: string, moduleId: string, servicePort: number, env: k8s.V1EnvVar[] = []): Promise<void> {
  const labels = { app: name };
  await apps.createNamespacedDeployment({
    namespace: NS,
    body: {
      metadata: { name },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            terminationGracePeriodSeconds: 5,
            containers: [{ name: 'web', image: IMAGE, ports: [{ name: 'http', containerPort: 8080 }], env: [{ name: 'IOTEDGE_MODULEID', value: moduleId }, ...env] }],
          },
        },
      },
    },
  });
  await core.createNamespacedService({
    namespace: NS,
    body: { metadata: { name }, spec: { type: 'LoadBalancer', selector: labels, ports: [{ port: servicePort, targetPort: 'http' }] } },
  });
}

/** The Service's external URL, read from the API. */
async function externalUrl(name: string): Promise<string> {
  return waitFor(`an external IP for ${name}`, async () => {
    const svc = await core.readNamespacedService({ name, namespace: NS });
    const ip = svc.status?.loadBalancer?.ingress?.[0]?.ip;
    return ip ? `http://${ip}:${svc.spec!.ports![0]!.port}` : undefined;
  });
}

async function podsOf(app: string): Promise<k8s.V1Pod[]> {
  return (await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${app}` })).items;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-processes-'));
  emulator = await startKubeEmulator({ stateDir: dir, timeFactor: 0.02 });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(emulator.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  await deployWeb('web', 'webserverapp', 8080);
});

afterAll(async () => {
  await emulator?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('the external IP of the LoadBalancer Service answers /identity.json from the module process', async () => {
  const url = await externalUrl('web');
  const slot = emulator!.networkSlot;
  expect(url).toMatch(new RegExp(`^http://127\\.${102 + 3 * slot}\\.0\\.\\d+:8080$`));
  const body = await waitFor('the web server through the load balancer', () => identity(url));
  const [pod] = await podsOf('web');
  expect(body).toMatchObject({ moduleId: 'webserverapp', podName: pod!.metadata!.name });
  expect(alive(body.pid)).toBe(true);
  expect(pod!.status!.podIP).toMatch(new RegExp(`^127\\.${100 + 3 * slot}\\.0\\.\\d+$`));
  expect(pod!.status!.containerStatuses![0]).toMatchObject({ ready: true, restartCount: 0, state: { running: expect.anything() } });
});

test('kubectl logs shows what the process printed', async () => {
  const [pod] = await podsOf('web');
  const name = pod!.metadata!.name!;
  const logs = await waitFor('the listening line', async () => {
    const text = await kubectl('logs', name);
    return text.includes('listening') ? text : undefined;
  });
  expect(logs).toBe(`webserver listening on http://${pod!.status!.podIP}:8080\n`);
  expect(await kubectl('logs', name, '--tail=1')).toBe(logs);
  expect(await kubectl('logs', name, '--since=1h')).toBe(logs);
});

test('kubectl delete pod: SIGTERM reaches the process, and a new process answers on the same address', async () => {
  const url = await externalUrl('web');
  const before = await waitFor('the first pod', () => identity(url));
  await kubectl('delete', 'pod', before.podName, '--wait=true');
  expect(alive(before.pid)).toBe(false);
  const after = await waitFor('a new pod behind the same address', async () => {
    const body = await identity(url);
    return body.podName !== before.podName ? body : undefined;
  });
  expect(after.pid).not.toBe(before.pid);
  const pods = await podsOf('web');
  expect(pods.map((p) => p.metadata!.name)).toEqual([after.podName]);
});

test('EXIT_AT_START=3: CrashLoopBackOff with exit code 3 and a growing restartCount, seen through the API', async () => {
  await deployWeb('crasher', 'crashing', 8081, [{ name: 'EXIT_AT_START', value: '3' }]);
  const status = await waitFor(
    'CrashLoopBackOff after two restarts',
    async () => {
      const cs = (await podsOf('crasher'))[0]?.status?.containerStatuses?.[0];
      return cs?.state?.waiting?.reason === 'CrashLoopBackOff' && (cs.restartCount ?? 0) >= 2 ? cs : undefined;
    },
    40_000,
  );
  expect(status.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
  expect(status.ready).toBe(false);
  const counts = [status.restartCount!];
  const grown = await waitFor(
    'one more restart',
    async () => {
      const cs = (await podsOf('crasher'))[0]?.status?.containerStatuses?.[0];
      return (cs?.restartCount ?? 0) > counts[0]! ? cs : undefined;
    },
    40_000,
  );
  expect(grown.restartCount).toBeGreaterThan(counts[0]!);
  const name = (await podsOf('crasher'))[0]!.metadata!.name!;
  expect(await kubectl('logs', name, '--previous')).toBe('webserver: exiting at start with code 3 (EXIT_AT_START)\n');
});

test('two modules listening on the same container port both answer, each on its own address', async () => {
  await deployWeb('other', 'otherapp', 8080);
  const first = await externalUrl('web');
  const second = await externalUrl('other');
  expect(second).not.toBe(first);
  const a = await waitFor('the first module', () => identity(first));
  const b = await waitFor('the second module', () => identity(second));
  expect([a.moduleId, b.moduleId]).toEqual(['webserverapp', 'otherapp']);
  const ips = (await core.listNamespacedPod({ namespace: NS })).items.filter((p) => ['web', 'other'].includes(p.metadata!.labels!.app!)).map((p) => p.status!.podIP);
  expect(new Set(ips).size).toBe(2);
});

test('a second sandbox side by side gets its own network slot, and the same module answers in both', async () => {
  const otherDir = await mkdtemp(join(tmpdir(), 'kube-processes-2-'));
  const second = await startKubeEmulator({ stateDir: otherDir, timeFactor: 0.02 });
  try {
    expect(second.networkSlot).not.toBe(emulator!.networkSlot);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(second.kubeconfig);
    const labels = { app: 'web' };
    await kc.makeApiClient(k8s.AppsV1Api).createNamespacedDeployment({
      namespace: NS,
      body: { metadata: { name: 'web' }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: IMAGE, env: [{ name: 'IOTEDGE_MODULEID', value: 'second' }] }] } } } },
    });
    await kc.makeApiClient(k8s.CoreV1Api).createNamespacedService({ namespace: NS, body: { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', selector: labels, ports: [{ port: 8080 }] } } });
    const [address] = await second.whenServing(NS, 'web', 30_000);
    expect(address!.ip).toMatch(new RegExp(`^127\\.${102 + 3 * second.networkSlot}\\.0\\.`));
    const body = await waitFor('the second sandbox\'s web server', () => identity(`http://${address!.ip}:${address!.port}`));
    expect(body.moduleId).toBe('second');
    expect((await waitFor('the first sandbox\'s web server', async () => identity(await externalUrl('web')))).moduleId).toBe('webserverapp');
  } finally {
    await second.stop();
    await rm(otherDir, { recursive: true, force: true });
  }
});

test('no module process survives the emulator stop', async () => {
  expect(pids.size).toBeGreaterThanOrEqual(3);
  const running = [...pids].filter(alive);
  expect(running.length).toBeGreaterThanOrEqual(2);
  await emulator!.stop();
  emulator = undefined;
  await waitFor('every module process gone', () => ([...pids].some(alive) ? undefined : true), 5_000);
});
