/**
 * IoT Hub unreachable when the bridge starts, in both credential modes (`--connection-string` and
 * `--device-connection-string`), which behave the same: the bridge starts, /healthz is ok,
 * /readyz says that IoT Hub is not connected; once the hub answers (the sandbox hub emulator
 * started late, on the same addresses) the bridge links, applies and reports. Then, IoT Hub gone
 * again, a restarted bridge restores a deleted Deployment from the last good deployment, with
 * the module credentials the cluster holds unchanged (device mode), and reports once IoT Hub is
 * back. Real clients throughout: azure-iothub pushes and reads the twin, @kubernetes/client-node
 * reads the cluster, the bridge uses azure-iot-device and the registry REST API.
 */
import { readFileSync } from 'node:fs';
import { startRun, type RunningBridge } from '../../translator/cli/index.js';
import { samplePath } from '../golden/samples.js';
import { startDeviceSite, type CredentialMode, type DeviceSite } from '../support/device-site.js';
import { waitFor } from '../support/wait.js';

const io = { stdout: () => undefined, stderr: () => undefined };
let site: DeviceSite | undefined;
let running: RunningBridge | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
  await site?.stop();
  site = undefined;
});

async function probe(path: '/healthz' | '/readyz'): Promise<{ status: number; text: string }> {
  const r = await fetch(`${running!.opsUrl}${path}`);
  return { status: r.status, text: await r.text() };
}

/** Waits until /readyz answers 503 naming IoT Hub, and checks that /healthz is ok meanwhile. */
async function expectLiveButNotReady(): Promise<void> {
  const ready = await waitFor('/readyz naming IoT Hub', async () => {
    const r = await probe('/readyz');
    return r.status === 503 && /IoT Hub/.test(r.text) ? r : undefined;
  });
  expect(ready.text).toMatch(/^not ready: .*not connected to IoT Hub/);
  expect(await probe('/healthz')).toEqual({ status: 200, text: 'ok\n' });
}

const modes: [CredentialMode, string][] = [
  ['connection-string', '127.0.0.66'],
  ['device-connection-string', '127.0.0.67'],
];

it.each(modes)('--%s: starts without IoT Hub, links once it answers, and restores the last good deployment while it is gone', async (mode, serviceHost) => {
  const namespace = `hub-down-${mode === 'connection-string' ? 'agent' : 'device'}`;
  // The device and its deployment exist in IoT Hub; then IoT Hub becomes unreachable.
  const s = (site = await startDeviceSite({ serviceHost }));
  const { apps, core } = s;
  await s.registry.applyConfigurationContentOnDevice(s.hub.deviceId, JSON.parse(readFileSync(samplePath('webserver.json'), 'utf8')));
  const flags = s.runFlags(namespace, mode);
  await s.stopHub();

  // 1. The first start ever, without IoT Hub: the bridge runs, live but not ready.
  running = await startRun(flags, io);
  await expectLiveButNotReady();

  // IoT Hub answers (started late): the bridge links, applies the deployment and reports it.
  await s.restartHub();
  await waitFor('webserverapp running at the hub', async () => ((await s.reported()).modules?.webserverapp?.runtimeStatus === 'running' ? true : undefined), 60_000);
  await waitFor('ready', async () => ((await probe('/readyz')).status === 200 ? true : undefined));
  const secretOf = async () => (await core.readNamespacedSecret({ name: 'webserverapp-iotedge-identity', namespace })).data;
  const credential = mode === 'device-connection-string' ? await secretOf() : undefined;
  if (mode === 'device-connection-string') expect(Object.keys(credential ?? {})).toEqual(['EdgeHubConnectionString']);
  await running.stop();
  running = undefined;
  await s.stopHub();

  // 2. IoT Hub gone again; someone deletes the Deployment; a bridge started now restores it from the
  //    last good deployment, with the credential the module ran with.
  await apps.deleteNamespacedDeployment({ name: 'webserverapp', namespace });
  const secondStart = Date.now();
  running = await startRun(flags, io);
  const restored = await waitFor('Deployment restored without IoT Hub', () => apps.readNamespacedDeployment({ name: 'webserverapp', namespace }), 30_000);
  if (mode === 'device-connection-string') {
    const env = restored.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'EdgeHubConnectionString')?.valueFrom?.secretKeyRef?.name).toBe('webserverapp-iotedge-identity');
    expect(await secretOf()).toEqual(credential);
  }
  await expectLiveButNotReady();

  // IoT Hub back: the restarted bridge reports.
  await s.restartHub();
  const r = await waitFor(
    'the restarted bridge reporting to IoT Hub',
    async () => {
      const rep = await s.reported();
      return Date.parse(rep.systemModules?.edgeAgent?.lastStartTimeUtc) >= secondStart - 1000 && rep.modules?.webserverapp?.runtimeStatus === 'running' ? rep : undefined;
    },
    60_000,
  );
  expect(r.lastDesiredStatus.code).toBe(200);
  if (mode === 'device-connection-string') expect(await secretOf()).toEqual(credential);
}, 180_000);
