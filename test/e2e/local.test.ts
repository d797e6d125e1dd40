/**
 * `run --manifest` for module developers: a local manifest file, watched, applied to the
 * (emulated) cluster, with the reported properties written to a status file.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from '../../sandbox/kube/index.js';
import { startRun, type RunningBridge } from '../../translator/cli/index.js';
import { samplePath } from '../golden/samples.js';
import { waitFor } from '../support/wait.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests and reports are free-form JSON here
type Json = any;

const NS = 'local-dev';
let kube: KubeEmulator;
let running: RunningBridge;
let apps: AppsV1Api;
let dir: string;
let output = '';


const manifestPath = () => join(dir, 'deployment.json');
const status = (): Json => (existsSync(join(dir, 'status.json')) ? JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) : undefined);

function writeManifest(mutate: (desired: Json) => void = () => undefined): void {
  const doc = JSON.parse(readFileSync(samplePath('webserver.json'), 'utf8'));
  mutate(doc.modulesContent.$edgeAgent['properties.desired']);
  writeFileSync(manifestPath(), JSON.stringify(doc, null, 2));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-local-'));
  kube = await startKubeEmulator({ stateDir: dir, timeFactor: 0.01 });
  const kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig);
  apps = kc.makeApiClient(AppsV1Api);
  writeManifest();
  running = await startRun(
    {
      kubeconfig: kube.kubeconfigPath,
      namespace: NS,
      manifest: dir,
      layer: [],
      stateDir: dir,
      statusFile: join(dir, 'status.json'),
      deviceId: 'dev-laptop',
      opsPort: 0,
      opsHost: '127.0.0.1',
      logLevel: 'warn',
      translate: {},
    },
    { stdout: (t) => (output += t), stderr: (t) => (output += t) },
  );
}, 30_000);

afterAll(async () => {
  await running?.stop();
  await kube?.stop();
});

describe('run --manifest (local files)', () => {
  it('applies the manifest in a folder and writes the reported properties to the status file', async () => {
    expect(output).toContain(`Watching ${manifestPath()}`);
    const s = await waitFor('webserverapp running in the status file', () => (status()?.modules?.webserverapp?.runtimeStatus === 'running' ? status() : undefined));
    expect(s.lastDesiredVersion).toBe(1);
    expect(s.lastDesiredStatus.code).toBe(200);
    const d = await apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS });
    expect(d.metadata?.labels?.['net.azure-devices.edge.deviceid']).toBe('dev-laptop');
  });

  it('applies each save as a new version', async () => {
    writeManifest((d) => {
      d.modules.webserverapp.settings.image = 'mcr.microsoft.com/oss/nginx/nginx:1.16.0-alpine';
    });
    await waitFor('the new image applied', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS });
      return d.spec?.template.spec?.containers[0]?.image?.endsWith('1.16.0-alpine') ? true : undefined;
    });
    await waitFor('version 2 reported', () => (status()?.lastDesiredVersion >= 2 && status()?.lastDesiredStatus.code === 200 ? true : undefined));
  });

  it('reports an invalid save and keeps the running deployment', async () => {
    writeManifest((d) => {
      d.schemaVersion = '3.0';
    });
    const s = await waitFor('412 in the status file', () => (status()?.lastDesiredStatus?.code === 412 ? status() : undefined));
    expect(s.lastDesiredStatus.description).toContain('schemaVersion');
    expect(s.modules.webserverapp.runtimeStatus).toBe('running');
    await expect(apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS })).resolves.toBeDefined();
  });
});
