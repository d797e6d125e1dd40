/**
 * Readiness probes of process containers, seen through the API: httpGet against the web server
 * module (a passing path makes the pod Ready, a 404 keeps it unready and out of its Service),
 * exec (ready once the command succeeds).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { ImageCatalog, startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { probeTiming } from '../../../sandbox/kube/probes.js';
import { waitFor } from './harness.js';

jest.setTimeout(60_000);

const NS = 'default';
let emulator: KubeEmulator;
let dir: string;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-probes-'));
  const catalog = new ImageCatalog({ 'sandbox.test/slow': { kind: 'process', command: ['sh', '-c', 'sleep 1; touch ready; echo touched; exec sleep 3600'] } });
  emulator = await startKubeEmulator({ stateDir: dir, timeFactor: 0.02, catalog });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(emulator.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
});

afterAll(async () => {
  await emulator.stop();
  await rm(dir, { recursive: true, force: true });
});

const web = (name: string, path: string): k8s.V1Pod => ({
  metadata: { name, labels: { app: name } },
  spec: {
    containers: [
      {
        name: 'web',
        image: 'localhost:5000/webserver:0.1.0',
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: { httpGet: { path, port: 'http' }, periodSeconds: 5, failureThreshold: 1 },
      },
    ],
  },
});

const ready = async (name: string): Promise<boolean | undefined> => (await core.readNamespacedPod({ namespace: NS, name })).status?.containerStatuses?.[0]?.ready;

test('httpGet: a passing path makes the pod Ready; a failing one keeps it out of its Service', async () => {
  await core.createNamespacedPod({ namespace: NS, body: web('good', '/healthz') });
  await core.createNamespacedPod({ namespace: NS, body: web('bad', '/missing') });
  await core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'bad' }, spec: { selector: { app: 'bad' }, ports: [{ port: 80, targetPort: 'http' }] } } });
  await waitFor('good Ready', async () => ((await ready('good')) ? true : undefined));
  const unhealthy = await waitFor('an Unhealthy event for bad', async () => (await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=bad,reason=Unhealthy' })).items[0]);
  expect(unhealthy.message).toBe('Readiness probe failed');
  const pod = await core.readNamespacedPod({ namespace: NS, name: 'bad' });
  expect(pod.status?.phase).toBe('Running');
  expect(pod.status?.containerStatuses?.[0]).toMatchObject({ ready: false, state: { running: expect.anything() } });
  expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
  expect(emulator.serviceAddresses(NS, 'bad').map((a) => a.endpoints)).toEqual([0]);
});

test('exec: ready once the command succeeds in the container', async () => {
  await core.createNamespacedPod({
    namespace: NS,
    body: { metadata: { name: 'slow' }, spec: { containers: [{ name: 'main', image: 'sandbox.test/slow:1', readinessProbe: { exec: { command: ['test', '-f', 'ready'] }, periodSeconds: 5 } }] } },
  });
  await waitFor('slow running', async () => ((await core.readNamespacedPod({ namespace: NS, name: 'slow' })).status?.containerStatuses?.[0]?.state?.running ? true : undefined));
  expect(await ready('slow')).toBe(false);
  await waitFor('slow Ready', async () => ((await ready('slow')) ? true : undefined));
  expect(await core.readNamespacedPodLog({ namespace: NS, name: 'slow' })).toBe('touched\n');
});

test('probe timing defaults are the Kubernetes ones', () => {
  expect(probeTiming({})).toEqual({ initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1000, successThreshold: 1, failureThreshold: 3 });
  expect(probeTiming({ initialDelaySeconds: 2, periodSeconds: 1, timeoutSeconds: 3, successThreshold: 2, failureThreshold: 5 })).toEqual({ initialDelayMs: 2000, periodMs: 1000, timeoutMs: 3000, successThreshold: 2, failureThreshold: 5 });
});
