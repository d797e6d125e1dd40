/**
 * The sandbox Service proxy: a module process reaches a ClusterIP Service by its name (the
 * preload's resolver), a LoadBalancer Service forwards UDP, and the pure endpoint rules.
 */
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { ImageCatalog, startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { bindingsOf, endpointsOf, targetPortOf } from '../../../sandbox/kube/service-proxy.js';
import { proxyAddressOf } from '../../../sandbox/kube/loopback.js';
import type { KubeObject } from '../../../sandbox/kube/types.js';
import { waitFor } from './harness.js';

jest.setTimeout(60_000);

const NS = 'default';
const FETCHER = `
for (const host of ['web', 'web.default', 'web.default.svc', 'web.default.svc.cluster.local']) {
  for (let i = 0; ; i++) {
    try {
      const body = await (await fetch('http://' + host + '/identity.json')).json();
      console.log(host + ' -> ' + body.moduleId);
      break;
    } catch (e) {
      if (i > 100) { console.log(host + ' failed: ' + e.message); break; }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
console.log('done');
setInterval(() => {}, 1000);
`;
const ECHO = `
import dgram from 'node:dgram';
const socket = dgram.createSocket('udp4');
socket.on('message', (msg, rinfo) => socket.send('echo:' + msg, rinfo.port, rinfo.address));
socket.bind(9000, process.env.SANDBOX_POD_IP, () => console.log('udp echo on ' + process.env.SANDBOX_POD_IP));
`;

let emulator: KubeEmulator;
let dir: string;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;

async function deployment(name: string, image: string, env: k8s.V1EnvVar[] = []): Promise<void> {
  const labels = { app: name };
  await apps.createNamespacedDeployment({
    namespace: NS,
    body: { metadata: { name }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'main', image, env }] } } } },
  });
}

async function logsWhen(app: string, marker: string): Promise<string> {
  return waitFor(`${marker} in the log of ${app}`, async () => {
    const pod = (await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${app}` })).items[0];
    const text = await core.readNamespacedPodLog({ namespace: NS, name: pod!.metadata!.name! });
    return text.includes(marker) ? text : undefined;
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-proxy-'));
  await writeFile(join(dir, 'fetcher.mjs'), FETCHER);
  await writeFile(join(dir, 'echo.mjs'), ECHO);
  const catalog = new ImageCatalog({
    'sandbox.test/fetcher': { kind: 'process', node: true, command: [join(dir, 'fetcher.mjs')] },
    'sandbox.test/echo': { kind: 'process', node: true, command: [join(dir, 'echo.mjs')] },
  });
  emulator = await startKubeEmulator({ stateDir: join(dir, 'state'), timeFactor: 0.02, catalog });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(emulator.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
});

afterAll(async () => {
  await emulator.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a module process reaches a ClusterIP Service by its name, short or qualified', async () => {
  await deployment('web', 'localhost:5000/webserver:0.1.0-amd64', [{ name: 'IOTEDGE_MODULEID', value: 'webserverapp' }]);
  await core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } } });
  await deployment('client', 'sandbox.test/fetcher:1');
  const logs = await logsWhen('client', 'done');
  expect(logs).toBe(['web', 'web.default', 'web.default.svc', 'web.default.svc.cluster.local'].map((h) => `${h} -> webserverapp\n`).join('') + 'done\n');
  expect(emulator.serviceAddresses(NS, 'web')).toEqual([{ protocol: 'TCP', ip: expect.stringMatching(new RegExp(`^127\\.${101 + 3 * emulator.networkSlot}\\.0\\.`)), port: 80, external: false, endpoints: 1 }]);
});

test('a LoadBalancer Service forwards UDP to its pod', async () => {
  await deployment('echo', 'sandbox.test/echo:1');
  await core.createNamespacedService({
    namespace: NS,
    body: { metadata: { name: 'echo' }, spec: { type: 'LoadBalancer', selector: { app: 'echo' }, ports: [{ port: 9000, protocol: 'UDP' }] } },
  });
  await logsWhen('echo', 'udp echo on');
  const [address] = await waitFor('an external UDP address', () => {
    const a = emulator.serviceAddresses(NS, 'echo').filter((x) => x.external && x.endpoints > 0);
    return a.length > 0 ? a : undefined;
  });
  const socket = createSocket('udp4');
  try {
    const reply = await waitFor('the echo', () =>
      new Promise<string | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 300);
        socket.once('message', (msg) => {
          clearTimeout(timer);
          resolve(msg.toString());
        });
        socket.send('ping', address!.port, address!.ip);
      }),
    );
    expect(reply).toBe('echo:ping');
  } finally {
    socket.close();
  }
});

describe('endpoint rules', () => {
  const pod = (name: string, labels: Record<string, string>, ready: boolean, extra: Partial<KubeObject> = {}): KubeObject => ({
    metadata: { name, labels },
    spec: { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
    status: { podIP: `127.244.0.${name.length}`, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    ...extra,
  });
  const service: KubeObject = {
    metadata: { name: 's', namespace: 'ns' },
    spec: { type: 'LoadBalancer', clusterIP: '10.96.0.42', selector: { app: 'a' }, ports: [{ port: 80, targetPort: 'http' }, { port: 53, protocol: 'UDP' }] },
    status: { loadBalancer: { ingress: [{ ip: '127.200.0.1' }] } },
  };

  test('only ready, selected, non-terminating pods with an IP; named target ports resolved', () => {
    const pods = [
      pod('a', { app: 'a' }, true),
      pod('bb', { app: 'b' }, true),
      pod('ccc', { app: 'a' }, false),
      pod('dddd', { app: 'a' }, true, { metadata: { name: 'dddd', labels: { app: 'a' }, deletionTimestamp: '2026-01-01T00:00:00Z' } }),
    ];
    expect(endpointsOf(service, 80, 'TCP', pods)).toEqual([{ ip: '127.244.0.1', port: 8080 }]);
    expect(endpointsOf(service, 53, 'UDP', pods)).toEqual([{ ip: '127.244.0.1', port: 53 }]);
    expect(endpointsOf(service, 81, 'TCP', pods)).toEqual([]);
    expect(targetPortOf(pods[0]!, { port: 80, targetPort: 'nope' })).toBeUndefined();
  });

  test('a Service is served on its proxy address and its load-balancer IPs, per port and protocol', () => {
    expect(bindingsOf(service, proxyAddressOf(0)).map((b) => b.key)).toEqual(['TCP/127.200.0.1:80', 'TCP/127.101.0.42:80', 'UDP/127.200.0.1:53', 'UDP/127.101.0.42:53']);
    expect(bindingsOf(service, proxyAddressOf(2)).map((b) => b.key)).toContain('TCP/127.107.0.42:80');
    expect(bindingsOf({ ...service, spec: { ...service.spec, selector: undefined } }, proxyAddressOf(0))).toEqual([]);
  });
});
