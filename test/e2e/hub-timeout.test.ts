/**
 * IoT Hub that stops answering: after the MQTT connection drops, the twin fetch the bridge sends
 * is never answered (as after a hub restart that lost the session). Every hub call has a
 * deadline, so the bridge notices, says not ready on /readyz while its twin is stale, reconnects,
 * and applies the version pushed meanwhile once the hub answers again. Real clients throughout:
 * azure-iothub pushes, the bridge's azure-iot-device link, @kubernetes/client-node reads.
 */
import { readFileSync } from 'node:fs';
import type { AppsV1Api } from '@kubernetes/client-node';
import type { Registry } from 'azure-iothub';
import type { HubEmulator } from '../../sandbox/hub/index.js';
import { startRun, type RunningBridge } from '../../translator/cli/index.js';
import { samplePath } from '../golden/samples.js';
import { startDeviceSite, type DeviceSite } from '../support/device-site.js';
import { waitFor } from '../support/wait.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests and twins are free-form JSON here
type Json = any;

const NS = 'hub-timeout-device';
const HUB_TIMEOUT_MS = 1500;
let site: DeviceSite;
let hub: HubEmulator;
let running: RunningBridge;
let registry: Registry;
let apps: AppsV1Api;

function content(env: Record<string, string>): Json {
  const c = JSON.parse(readFileSync(samplePath('webserver.json'), 'utf8'));
  c.modulesContent.$edgeAgent['properties.desired'].modules.webserverapp.env = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, { value: v }]));
  return c;
}

async function readyz(): Promise<{ status: number; text: string }> {
  const r = await fetch(`${running.opsUrl}/readyz`);
  return { status: r.status, text: await r.text() };
}

async function envOfWebserver(): Promise<string[]> {
  const d = await apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS });
  return (d.spec?.template.spec?.containers[0]?.env ?? []).map((e) => `${e.name}=${e.value}`);
}

beforeAll(async () => {
  site = await startDeviceSite({ serviceHost: '127.0.0.169', kube: { timeFactor: 0.01, loadBalancerPool: ['192.0.2.30-192.0.2.40'] } });
  ({ hub, registry, apps } = site);
  running = await startRun(site.runFlags(NS, 'connection-string', { hubTimeoutMs: HUB_TIMEOUT_MS }), { stdout: () => undefined, stderr: () => undefined });
}, 60_000);

afterAll(async () => {
  hub?.faults.clear();
  await running?.stop();
  await site?.stop();
});

it('times out an unanswered twin fetch, is not ready while the twin is stale, reconnects and applies what was pushed meanwhile', async () => {
  await registry.applyConfigurationContentOnDevice(hub.deviceId, content({ STEP: 'one' }));
  await waitFor('the first version applied', async () => ((await envOfWebserver()).includes('STEP=one') ? true : undefined));
  await waitFor('ready', async () => ((await readyz()).status === 200 ? true : undefined));

  // The hub stops answering twin requests (10 minutes is "never" here), and the connection drops:
  // the SDK reconnects by itself and the bridge fetches the full twin, which never comes.
  hub.faults.delayTwinResponses(600_000);
  expect(hub.faults.dropConnection(hub.deviceId, '$edgeAgent')).toBe(true);
  await registry.applyConfigurationContentOnDevice(hub.deviceId, content({ STEP: 'two' }));

  const stale = await waitFor('/readyz not ready', async () => {
    const r = await readyz();
    return r.status === 503 ? r : undefined;
  });
  expect(stale.text).toMatch(/twin is stale|not connected to IoT Hub|being fetched again/);
  expect(await envOfWebserver()).toContain('STEP=one');

  // The hub answers again: only new requests are answered; the ones already sent never are.
  hub.faults.clear();
  await waitFor('the version pushed during the outage applied', async () => ((await envOfWebserver()).includes('STEP=two') ? true : undefined), 30_000);
  await waitFor('ready again', async () => ((await readyz()).status === 200 ? true : undefined), 15_000);
  const version = ((await registry.getModuleTwin(hub.deviceId, '$edgeAgent')).responseBody as Json).properties.desired.$version;
  await waitFor(
    'the new version reported',
    async () => (((await registry.getModuleTwin(hub.deviceId, '$edgeAgent')).responseBody as Json).properties.reported.lastDesiredVersion === version ? true : undefined),
    15_000,
  );
}, 90_000);
