/**
 * The sample modules for real, end to end: the sample-modules template pushed through the sandbox
 * IoT Hub, applied by the bridge, run by the sandbox kubelet as processes. The web server answers
 * on the address the twin reports; a crash (EXIT_AT_START=3) is reported as backoff with exit
 * code 3 and a growing restart count, and the fixed deployment brings it back to running.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import { Client, type Registry } from 'azure-iothub';
import { trustHubCa, type HubEmulator } from '../../sandbox/hub/index.js';
import type { KubeEmulator } from '../../sandbox/kube/index.js';
import { loadManifest } from '../../translator/manifest/index.js';
import { startRun, type RunningBridge } from '../../translator/cli/index.js';
import { startDeviceSite, type DeviceSite } from '../support/device-site.js';
import { waitFor } from '../support/wait.js';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';

jest.setTimeout(90_000);

const NS = 'e2e-modules';
let kube: KubeEmulator;
let hub: HubEmulator;
let running: RunningBridge;
let registry: Registry;
let core: CoreV1Api;
let site: DeviceSite;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests and twins are free-form JSON here
type Json = any;

async function sampleContent(): Promise<Json> {
  const loaded = await loadManifest('deployment-manifests/sample-modules/deployment.template.json', { env: {} });
  if (!loaded.content) throw new Error('the sample template did not load');
  return JSON.parse(JSON.stringify(loaded.content));
}

beforeAll(async () => {
  site = await startDeviceSite({ serviceHost: '127.0.0.168', kube: { timeFactor: 0.02 } });
  ({ kube, hub, registry, core } = site);
  running = await startRun(site.runFlags(NS, 'connection-string', { logLevel: 'warn' }), { stdout: () => undefined, stderr: () => undefined });
}, 60_000);

afterAll(async () => {
  await running?.stop();
  await site?.stop();
});

test('the web server module answers on the external address the twin reports, with its module id and pod name', async () => {
  await registry.applyConfigurationContentOnDevice(hub.deviceId, await sampleContent());
  const r = await waitFor('webserver running with an external address', async () => {
    const rep = await site.reported();
    return rep?.modules?.webserver?.runtimeStatus === 'running' && rep.modules.webserver.externalAddress ? rep : undefined;
  }, 60_000);
  const address: string = r.modules.webserver.externalAddress;
  expect(address).toMatch(new RegExp(`^127\\.${102 + 3 * kube.networkSlot}\\.0\\.\\d+:8080$`));
  const identity = await waitFor('identity.json', async () => (await (await fetch(`http://${address}/identity.json`)).json()) as { moduleId: string; podName: string });
  const pods = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'net.azure-devices.edge.module=webserver' })).items;
  expect(identity).toMatchObject({ moduleId: 'webserver', podName: pods[0]!.metadata!.name });
  const telemetry = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'net.azure-devices.edge.module=telemetry' })).items[0]!;
  const log = await waitFor('the telemetry module log', async () => {
    const text = await core.readNamespacedPodLog({ namespace: NS, name: telemetry.metadata!.name! });
    return text !== '' ? text : undefined;
  });
  expect(log).toMatch(/^telemetry: /);
});

test("GetModuleLogs returns the module process's own output, and RestartModule gives a new process on the same address", async () => {
  const service = trustHubCa(Client.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  try {
    const logs = await waitFor('the listening line through GetModuleLogs', async () => {
      const r = await service.invokeDeviceMethod(hub.deviceId, '$edgeAgent', {
        methodName: 'GetModuleLogs',
        payload: { schemaVersion: '1.0', items: [{ id: 'webserver' }], encoding: 'none', contentType: 'text' },
        responseTimeoutInSeconds: 10,
      });
      const text = JSON.stringify(r.result.payload);
      return r.result.status === 200 && text.includes('webserver listening on http://') ? text : undefined;
    });
    expect(logs).not.toContain('started');
    const address: string = (await site.reported()).modules.webserver.externalAddress;
    const before = (await (await fetch(`http://${address}/identity.json`)).json()) as { podName: string; pid: number };
    const restart = await service.invokeDeviceMethod(hub.deviceId, '$edgeAgent', { methodName: 'RestartModule', payload: { schemaVersion: '1.0', id: 'webserver' }, responseTimeoutInSeconds: 10 });
    expect(restart.result.status).toBe(200);
    const after = await waitFor('a new process answering', async () => {
      const page = (await (await fetch(`http://${address}/identity.json`)).json()) as { podName: string; pid: number };
      return page.podName !== before.podName ? page : undefined;
    }, 40_000);
    expect(after.pid).not.toBe(before.pid);
  } finally {
    await service.close();
  }
});

test('EXIT_AT_START=3 is reported as backoff with exit code 3 and a growing restartCount; the fix brings it back to running', async () => {
  const broken = await sampleContent();
  broken.modulesContent.$edgeAgent['properties.desired'].modules.webserver.env.EXIT_AT_START = { value: '3' };
  await registry.applyConfigurationContentOnDevice(hub.deviceId, broken);
  const first = await waitFor('webserver in backoff', async () => {
    const m = (await site.reported())?.modules?.webserver;
    return m?.runtimeStatus === 'backoff' && m.exitCode === 3 && m.restartCount >= 1 ? m : undefined;
  }, 60_000);
  await waitFor('a growing restartCount', async () => ((await site.reported())?.modules?.webserver?.restartCount > first.restartCount ? true : undefined), 60_000);
  await registry.applyConfigurationContentOnDevice(hub.deviceId, await sampleContent());
  const fixed = await waitFor('webserver running again', async () => {
    const rep = await site.reported();
    return rep?.modules?.webserver?.runtimeStatus === 'running' ? rep.modules.webserver : undefined;
  }, 60_000);
  const identity = await waitFor('identity.json again', async () => (await (await fetch(`http://${fixed.externalAddress}/identity.json`)).json()) as { moduleId: string });
  expect(identity.moduleId).toBe('webserver');
});
