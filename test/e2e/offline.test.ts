/**
 * Started without IoT Hub connectivity, the bridge keeps running the last good deployment (kept
 * in the cluster) and reports once IoT Hub is back.
 */
import { readFileSync } from 'node:fs';
import { startRun, type RunningBridge } from '../../translator/cli/index.js';
import { samplePath } from '../golden/samples.js';
import { startDeviceSite, type DeviceSite } from '../support/device-site.js';
import { waitFor } from '../support/wait.js';

const NS = 'offline-device';
let site: DeviceSite;
let running: RunningBridge | undefined;
const io = { stdout: () => undefined, stderr: () => undefined };

beforeAll(async () => {
  site = await startDeviceSite({ serviceHost: '127.0.0.166' });
}, 30_000);

afterAll(async () => {
  await running?.stop();
  await site?.stop();
});

it('runs the last good deployment while IoT Hub is unreachable and reports once it is back', async () => {
  await site.registry.applyConfigurationContentOnDevice(site.hub.deviceId, JSON.parse(readFileSync(samplePath('webserver.json'), 'utf8')));
  const runFlags = site.runFlags(NS);
  running = await startRun(runFlags, io);
  await waitFor('webserverapp running at the hub', async () => ((await site.reported()).modules?.webserverapp?.runtimeStatus === 'running' ? true : undefined));
  await running.stop();
  running = undefined;
  await site.stopHub();

  // IoT Hub is gone. Someone deletes the Deployment; a bridge started now must restore it from the last good deployment.
  await site.apps.deleteNamespacedDeployment({ name: 'webserverapp', namespace: NS });
  const secondStart = new Date();
  running = await startRun(runFlags, io);
  await waitFor('Deployment restored without IoT Hub', () => site.apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS }));

  await site.restartHub();
  const r = await waitFor(
    'the restarted bridge reporting to IoT Hub',
    async () => {
      const rep = await site.reported();
      return Date.parse(rep.systemModules?.edgeAgent?.lastStartTimeUtc) >= secondStart.getTime() - 1000 && rep.modules?.webserverapp?.runtimeStatus === 'running' ? rep : undefined;
    },
    45_000,
  );
  expect(r.lastDesiredStatus.code).toBe(200);
}, 90_000);
