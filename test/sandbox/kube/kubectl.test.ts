/**
 * kubectl against the emulator, with kubectl's default validation. Skipped (with a
 * message) when kubectl is not on the PATH.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { testCatalog, waitFor } from './harness.js';

jest.setTimeout(60_000);

const kubectlPath = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'kubectl')).find((p) => existsSync(p));
if (!kubectlPath) console.log('kubectl is not on the PATH: skipping the kubectl tests');
const suite = kubectlPath ? describe : describe.skip;

let emulator: KubeEmulator;
let dir: string;

function kubectl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(kubectlPath!, ['--kubeconfig', join(dir, 'kubeconfig'), ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: main
        image: busybox:1.36
        command: [sh, -c, 'echo hello; sleep 3600']
        ports:
        - containerPort: 8080
          name: http
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: LoadBalancer
  selector: {app: web}
  ports:
  - port: 80
    targetPort: http
`;

suite('kubectl', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kube-emulator-'));
    emulator = await startKubeEmulator({ stateDir: dir, timeFactor: 0.02, catalog: testCatalog(), loadBalancerPool: ['192.0.2.20-192.0.2.21'] });
    await writeFile(join(dir, 'web.yaml'), manifest);
  });

  afterAll(async () => {
    await emulator?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('apply --server-side twice: the second apply changes nothing', async () => {
    const first = await kubectl('apply', '--server-side', '-f', join(dir, 'web.yaml'));
    expect(first).toContain('deployment.apps/web serverside-applied');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s');
    const rv = async () => kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.metadata.resourceVersion} {.metadata.generation}');
    const before = await rv();
    await kubectl('apply', '--server-side', '-f', join(dir, 'web.yaml'));
    expect(await rv()).toBe(before);
  });

  test('rollout status waits for the Deployment', async () => {
    const out = await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s');
    expect(out).toContain('deployment "web" successfully rolled out');
  });

  test('get -o wide prints pod IPs and the node', async () => {
    const out = await kubectl('get', 'pods', '-o', 'wide', '-l', 'app=web');
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    expect(lines).toHaveLength(3);
    for (const line of lines.slice(1)) expect(line).toMatch(/^web-\S+\s+1\/1\s+Running\s+0\s+\S+\s+\d+\.\d+\.\d+\.\d+\s+\S+/);
    const svc = await kubectl('get', 'service', 'web', '-o', 'wide');
    expect(svc).toMatch(/web\s+LoadBalancer\s+\d+\.\d+\.\d+\.\d+\s+192\.0\.2\.2[01]\s+80:\d+\/TCP/);
  });

  test('describe shows the Deployment, its ReplicaSet and events', async () => {
    const out = await kubectl('describe', 'deployment', 'web');
    expect(out).toMatch(/Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable/);
    expect(out).toMatch(/NewReplicaSet:\s+web-\S+ \(2\/2 replicas created\)/);
    expect(out).toMatch(/ScalingReplicaSet\s+.*Scaled up replica set web-\S+ from 0 to 2/);
    const pod = await kubectl('describe', 'pods', '-l', 'app=web');
    expect(pod).toContain('Successfully assigned default/web-');
    expect(pod).toMatch(/Started container main/);
  });

  test('logs of a pod of the Deployment', async () => {
    expect(await kubectl('logs', 'deployment/web')).toBe('hello\n');
  });

  test('deleting a pod makes the Deployment replace it', async () => {
    const names = async () => (await kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}')).split(' ').filter(Boolean).sort();
    const before = await names();
    await kubectl('delete', 'pod', before[0]!);
    const after = await waitFor('replacement pod', async () => {
      const now = await names();
      return now.length === 2 && !now.includes(before[0]!) ? now : undefined;
    });
    expect(after).toContain(before[1]);
    expect(await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s')).toContain('successfully rolled out');
  });

  test('scale and wait', async () => {
    expect(await kubectl('scale', 'deployment/web', '--replicas=3')).toContain('deployment.apps/web scaled');
    await kubectl('wait', '--for=jsonpath={.status.readyReplicas}=3', 'deployment/web', '--timeout=30s');
    expect(await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.status.availableReplicas}')).toBe('3');
    expect(await kubectl('wait', '--for=condition=Available', 'deployment/web', '--timeout=30s')).toContain('condition met');
  });

  test('set image rolls out a new ReplicaSet; rollout undo reuses the previous one', async () => {
    await kubectl('set', 'image', 'deployment/web', 'main=busybox:1.37');
    expect(await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s')).toContain('successfully rolled out');
    const replicaSets = async () => (await kubectl('get', 'rs', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}')).split(' ').filter(Boolean).sort();
    const before = await replicaSets();
    expect(before).toHaveLength(2);
    await kubectl('rollout', 'undo', 'deployment/web');
    expect(await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s')).toContain('successfully rolled out');
    expect(await replicaSets()).toEqual(before);
    const history = await kubectl('rollout', 'history', 'deployment/web');
    expect(history.trim().split('\n').slice(2).map((l) => l.trim().split(/\s+/)[0])).toEqual(['2', '3']);
    expect(await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).toBe('busybox:1.36');
  });

  test('delete removes the Deployment and its pods', async () => {
    await kubectl('delete', '-f', join(dir, 'web.yaml'), '--wait=true');
    await waitFor('pods gone', async () => ((await kubectl('get', 'pods', '-l', 'app=web', '-o', 'name')).trim() === '' ? true : undefined));
    await expect(kubectl('get', 'deployment', 'web')).rejects.toThrow(/NotFound|not found/);
  });

  describe('create generators (protobuf request bodies)', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- kubectl's JSON output, read loosely
    const json = async (...args: string[]) => JSON.parse(await kubectl('get', ...args, '-o', 'json')) as Record<string, any>;

    test('create namespace', async () => {
      expect(await kubectl('create', 'namespace', 'made-by-kubectl')).toContain('namespace/made-by-kubectl created');
      const ns = await json('namespace', 'made-by-kubectl');
      expect(ns.status.phase).toBe('Active');
      expect(ns.metadata.labels['kubernetes.io/metadata.name']).toBe('made-by-kubectl');
    });

    test('create deployment runs its pods', async () => {
      expect(await kubectl('create', 'deployment', 'gen', '--image=busybox:1.36', '--replicas=2', '--port=8080')).toContain('deployment.apps/gen created');
      const d = await json('deployment', 'gen');
      expect(d.spec.replicas).toBe(2);
      expect(d.spec.selector).toEqual({ matchLabels: { app: 'gen' } });
      expect(d.spec.template.spec.containers[0]).toMatchObject({ name: 'busybox', image: 'busybox:1.36', ports: [{ containerPort: 8080, protocol: 'TCP' }] });
      await kubectl('rollout', 'status', 'deployment/gen', '--timeout=30s');
    });

    test('create configmap --from-literal', async () => {
      await kubectl('create', 'configmap', 'gen', '--from-literal=a=1', '--from-literal=greeting=hello world');
      expect((await json('configmap', 'gen')).data).toEqual({ a: '1', greeting: 'hello world' });
    });

    test('create secret generic and docker-registry', async () => {
      await kubectl('create', 'secret', 'generic', 'gen', '--from-literal=password=s3cr3t');
      const secret = await json('secret', 'gen');
      expect(secret.type).toBe('Opaque');
      expect(Buffer.from(secret.data.password, 'base64').toString()).toBe('s3cr3t');
      await kubectl('create', 'secret', 'docker-registry', 'pull', '--docker-server=registry.example', '--docker-username=u', '--docker-password=p');
      const pull = await json('secret', 'pull');
      expect(pull.type).toBe('kubernetes.io/dockerconfigjson');
      expect(JSON.parse(Buffer.from(pull.data['.dockerconfigjson'], 'base64').toString()).auths['registry.example'].username).toBe('u');
    });

    test('create serviceaccount', async () => {
      expect(await kubectl('create', 'serviceaccount', 'robot')).toContain('serviceaccount/robot created');
      expect((await json('serviceaccount', 'robot')).metadata.name).toBe('robot');
    });

    test('create job runs to completion', async () => {
      await kubectl('create', 'job', 'once', '--image=busybox:1.34', '--', 'sh', '-c', 'echo done');
      const job = await json('job', 'once');
      expect(job.spec.template.spec).toMatchObject({ restartPolicy: 'Never', containers: [{ name: 'once', image: 'busybox:1.34', command: ['sh', '-c', 'echo done'] }] });
      await kubectl('wait', '--for=condition=complete', 'job/once', '--timeout=30s');
    });

    test('create service clusterip', async () => {
      await kubectl('create', 'service', 'clusterip', 'gen', '--tcp=80:8080');
      const svc = await json('service', 'gen');
      expect(svc.spec.ports).toEqual([{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }]);
    });
  });
});
