/**
 * The terminal side of `run --sandbox`: the manifest file followed save by save (real files and
 * the real watcher; the push is recorded), module URLs announced once served, and the line
 * printed per message reaching the hub. The whole path with the emulators is
 * test/e2e/npm-start.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeJson } from '../../../translator/kinds/index.js';
import type { DeploymentContent } from '../../../translator/manifest/index.js';
import type { ReportedDocument } from '../../../translator/status/index.js';
import { followManifestThroughHub, moduleUrl, ModuleUrls, telemetryLine, type ServedAddress } from '../../../translator/cli/sandbox-session.js';
import { samplePath } from '../../golden/samples.js';
import { waitFor } from '../../support/wait.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are free-form JSON here
type Json = any;

const address = (over: Partial<ServedAddress>): ServedAddress => ({ protocol: 'TCP', ip: '127.102.0.2', port: 8080, external: true, endpoints: 1, ...over });

describe('moduleUrl', () => {
  it('is the first external TCP address with a ready pod', () => {
    expect(moduleUrl([address({ external: false, ip: '127.101.0.9' }), address({ protocol: 'UDP' }), address({ ip: '127.102.0.3', port: 80 })])).toBe('http://127.102.0.3:80/');
  });
  it('is undefined while no pod is ready', () => {
    expect(moduleUrl([address({ endpoints: 0 })])).toBeUndefined();
  });
});

describe('telemetryLine', () => {
  it('names the device and module and keeps the body on one line', () => {
    expect(telemetryLine({ deviceId: 'edge-device', moduleId: 'telemetry', body: '{\n  "sequence": 1\n}', properties: {}, enqueuedTimeUtc: '' })).toBe('IoT Hub <- edge-device/telemetry: { "sequence": 1 }\n');
    expect(telemetryLine({ deviceId: 'edge-device', body: 'hi', properties: {}, enqueuedTimeUtc: '' })).toBe('IoT Hub <- edge-device: hi\n');
  });
});

describe('followManifestThroughHub', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-follow-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('pushes the first version before resolving, then each save; an invalid save is not pushed', async () => {
    const file = join(dir, 'deployment.json');
    const doc = JSON.parse(readFileSync(samplePath('webserver.json'), 'utf8')) as Json;
    writeFileSync(file, JSON.stringify(doc));
    const pushed: DeploymentContent[] = [];
    const said: string[] = [];
    const stop = await followManifestThroughHub({ base: file, layers: [] }, async (c) => void pushed.push(c), (t) => said.push(t));
    try {
      expect(pushed).toHaveLength(1);
      expect(said).toEqual([`Pushed ${file} through the sandbox IoT Hub.\n`]);

      doc.modulesContent.$edgeAgent['properties.desired'].modules.webserverapp.restartPolicy = 'sometimes';
      writeFileSync(file, JSON.stringify(doc));
      await waitFor('the refusal', () => (said.some((l) => l.includes('not pushed')) ? true : undefined));
      expect(pushed).toHaveLength(1);
      expect(said.join('')).toContain('/modules/webserverapp/restartPolicy');

      doc.modulesContent.$edgeAgent['properties.desired'].modules.webserverapp.restartPolicy = 'on-failure';
      writeFileSync(file, JSON.stringify(doc));
      await waitFor('the second push', () => (pushed.length === 2 ? true : undefined));
      const desired = (pushed[1] as Json).modulesContent.$edgeAgent['properties.desired'];
      expect(desired.modules.webserverapp.restartPolicy).toBe('on-failure');
      expect(said.at(-1)).toBe(`Pushed ${file} (saved) through the sandbox IoT Hub.\n`);
    } finally {
      stop();
    }
  });

  it('says so when IoT Hub refuses a push, and keeps following', async () => {
    const file = join(dir, 'deployment.json');
    writeFileSync(file, readFileSync(samplePath('webserver.json'), 'utf8'));
    const said: string[] = [];
    const stop = await followManifestThroughHub({ base: file, layers: [] }, () => Promise.reject(new Error('device not found')), (t) => said.push(t));
    stop();
    expect(said).toEqual([`error: ${file} was not pushed: device not found\n`]);
  });
});

describe('ModuleUrls', () => {
  const published = (moduleId: string, name: string): KubeJson => ({ kind: 'Service', metadata: { name, annotations: { 'net.azure-devices.edge.original-moduleid': moduleId } }, spec: { type: 'LoadBalancer' } });
  const headless = (moduleId: string): KubeJson => ({ kind: 'Service', metadata: { name: moduleId, annotations: { 'net.azure-devices.edge.original-moduleid': moduleId } }, spec: { type: 'ClusterIP' } });
  const doc = (modules: Record<string, string | undefined>): ReportedDocument => ({ modules: Object.fromEntries(Object.entries(modules).map(([id, a]) => [id, { externalAddress: a }])) }) as unknown as ReportedDocument;

  it("announces a module's URL once its LoadBalancer Service serves, and again when the address changes", async () => {
    const said: string[] = [];
    const asked: string[] = [];
    let serving: ServedAddress[] = [address({ endpoints: 0 })];
    const urls = new ModuleUrls({
      namespace: 'iotedge',
      objects: { list: (kind) => (kind === 'Service' ? [headless('WebServer'), published('WebServer', 'webserver-published')] : []) },
      whenServing: async (ns, name) => {
        asked.push(`${ns}/${name}`);
        if (!moduleUrl(serving)) throw new Error('not serving');
        return serving;
      },
      say: (t) => said.push(t),
    });
    urls.report(doc({ WebServer: '127.102.0.2:8080', plain: undefined }));
    await waitFor('the first attempt', () => (asked.length === 1 ? true : undefined));
    await new Promise((r) => setTimeout(r, 20));
    expect(said).toEqual([]);
    serving = [address({})];
    urls.report(doc({ WebServer: '127.102.0.2:8080' }));
    await waitFor('the announcement', () => (said.length === 1 ? true : undefined));
    expect(said).toEqual(['WebServer: http://127.102.0.2:8080/\n']);
    expect(asked).toEqual(['iotedge/webserver-published', 'iotedge/webserver-published']);
    urls.report(doc({ WebServer: '127.102.0.2:8080' }));
    serving = [address({ ip: '127.102.0.7' })];
    urls.report(doc({ WebServer: '127.102.0.7:8080' }));
    await waitFor('the new address', () => (said.length === 2 ? true : undefined));
    expect(said[1]).toBe('WebServer: http://127.102.0.7:8080/\n');
    expect(asked).toHaveLength(3);
    // A module removed and deployed again is announced again.
    urls.report(doc({}));
    urls.report(doc({ WebServer: '127.102.0.7:8080' }));
    await waitFor('the announcement after the removal', () => (said.length === 3 ? true : undefined));
    expect(said[2]).toBe('WebServer: http://127.102.0.7:8080/\n');
  });
});
