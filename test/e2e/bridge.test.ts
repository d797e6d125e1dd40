/**
 * The whole loop on the sandbox, with real clients only: a deployment pushed through azure-iothub
 * reaches the bridge over MQTT, is applied to the emulated cluster, and module status comes back
 * to the `$edgeAgent` twin, where azure-iothub reads it. The cluster is read through
 * @kubernetes/client-node, as a user of a real cluster would.
 */
import { readFileSync } from 'node:fs';
import { AppsV1Api, CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { Client, Registry } from 'azure-iothub';
import { trustHubCa, type HubEmulator } from '../../sandbox/hub/index.js';
import { ImageCatalog, type KubeEmulator } from '../../sandbox/kube/index.js';
import { startRun, type RunningBridge, type Io } from '../../translator/cli/index.js';
import { samplePath } from '../golden/samples.js';
import { startDeviceSite, type DeviceSite } from '../support/device-site.js';
import { waitFor } from '../support/wait.js';

const NS = 'e2e-device';
let site: DeviceSite;
let kube: KubeEmulator;
let hub: HubEmulator;
let running: RunningBridge;
let registry: Registry;
let service: Client;
let apps: AppsV1Api;
let core: CoreV1Api;
let output = '';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests and twins are free-form JSON here
type Json = any;


function webserverContent(): Json {
  return JSON.parse(readFileSync(samplePath('webserver.json'), 'utf8'));
}

async function push(content: Json): Promise<void> {
  await registry.applyConfigurationContentOnDevice(hub.deviceId, content);
}

async function reported(): Promise<Json> {
  const twin = (await registry.getModuleTwin(hub.deviceId, '$edgeAgent')).responseBody as Json;
  return twin.properties.reported;
}

/** iotedge_k8s_api_writes_total by "Kind verb", read from the bridge's /metrics. */
async function apiWrites(): Promise<Record<string, number>> {
  const text = await (await fetch(`${running.opsUrl}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, kind, verb, n] of text.matchAll(/^iotedge_k8s_api_writes_total\{kind="([^"]+)",verb="([^"]+)"\} (\d+)/gm)) counts[`${kind} ${verb}`] = Number(n);
  return counts;
}

async function desiredVersion(): Promise<number> {
  const twin = (await registry.getModuleTwin(hub.deviceId, '$edgeAgent')).responseBody as Json;
  return twin.properties.desired.$version;
}

beforeAll(async () => {
  const catalog = ImageCatalog.fromJson({ 'contoso.azurecr.io/crasher:1.0': { kind: 'crash', code: 3, afterMs: 50 }, 'contoso.azurecr.io/unpullable:1.0': { kind: 'pull-fail' } });
  site = await startDeviceSite({ serviceHost: '127.0.0.61', kube: { timeFactor: 0.01, catalog, loadBalancerPool: ['192.0.2.10-192.0.2.20'] } });
  ({ kube, hub, registry, apps, core } = site);
  service = trustHubCa(Client.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  const io: Io = { stdout: (t) => (output += t), stderr: (t) => (output += t) };
  running = await startRun(site.runFlags(NS, 'connection-string', { logLevel: 'warn' }), io);
}, 60_000);

afterAll(async () => {
  await running?.stop();
  await service?.close();
  await site?.stop();
});

describe('the bridge on the sandbox', () => {
  it('applies a pushed deployment and reports its modules running', async () => {
    await push(webserverContent());
    const deployment = await waitFor('Deployment webserverapp', () => apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS }));
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe('mcr.microsoft.com/oss/nginx/nginx:1.15.5-alpine');
    const svc = await core.readNamespacedService({ name: 'webserverapp-published', namespace: NS });
    expect(svc.spec?.type).toBe('LoadBalancer');
    expect(svc.spec?.ports?.[0]).toMatchObject({ port: 8080, targetPort: 80 });
    const version = await desiredVersion();
    const r = await waitFor('webserverapp running in reported', async () => {
      const rep = await reported();
      return rep?.modules?.webserverapp?.runtimeStatus === 'running' && rep.systemModules?.edgeHub?.runtimeStatus === 'running' ? rep : undefined;
    });
    expect(r.lastDesiredVersion).toBe(version);
    expect(r.lastDesiredStatus).toEqual({ code: 200, description: '' });
    expect(r.modules.webserverapp.restartCount).toBe(0);
    expect(r.modules.webserverapp.externalAddress).toMatch(/^192\.0\.2\.\d+:8080$/);
  }, 60_000);

  it('answers direct methods invoked through azure-iothub', async () => {
    const ping = await service.invokeDeviceMethod(hub.deviceId, '$edgeAgent', { methodName: 'ping', payload: null, responseTimeoutInSeconds: 10 });
    expect(ping.result.status).toBe(200);
    const unknown = await service.invokeDeviceMethod(hub.deviceId, '$edgeAgent', { methodName: 'NoSuchMethod', payload: {}, responseTimeoutInSeconds: 10 });
    expect(unknown.result.status).toBe(400);
  }, 30_000);

  it('keeps what runs and reports 400 when an invalid deployment arrives', async () => {
    const bad = webserverContent();
    bad.modulesContent.$edgeAgent['properties.desired'].modules.webserverapp.restartPolicy = 'sometimes';
    await push(bad);
    const version = await desiredVersion();
    const r = await waitFor('lastDesiredStatus 400', async () => {
      const rep = await reported();
      return rep.lastDesiredVersion === version && rep.lastDesiredStatus.code === 400 ? rep : undefined;
    });
    expect(r.lastDesiredStatus.description).toContain('/modules/webserverapp/restartPolicy');
    expect(r.modules.webserverapp.runtimeStatus).toBe('running');
    await expect(apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS })).resolves.toBeDefined();
  }, 60_000);

  it('restores a Deployment someone deletes', async () => {
    const before = await apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS });
    await apps.deleteNamespacedDeployment({ name: 'webserverapp', namespace: NS });
    const after = await waitFor('Deployment webserverapp restored', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS });
      return d.metadata?.uid !== before.metadata?.uid ? d : undefined;
    });
    expect(after.spec?.template.spec?.containers[0]?.image).toBe('mcr.microsoft.com/oss/nginx/nginx:1.15.5-alpine');
  }, 30_000);

  it('writes only the changed module when one image changes', async () => {
    const writesBefore = await apiWrites();
    const content = webserverContent();
    content.modulesContent.$edgeAgent['properties.desired'].modules.webserverapp.settings.image = 'mcr.microsoft.com/oss/nginx/nginx:1.16.0-alpine';
    await push(content);
    const version = await desiredVersion();
    await waitFor('new image reported running', async () => {
      const rep = await reported();
      const m = rep.modules?.webserverapp;
      return rep.lastDesiredVersion === version && m?.settings?.image === 'mcr.microsoft.com/oss/nginx/nginx:1.16.0-alpine' && m.runtimeStatus === 'running' ? true : undefined;
    });
    // The module's Deployment, and the last-good Secret that every new version rewrites.
    expect(await apiWrites()).toEqual({
      ...writesBefore,
      'Deployment apply': (writesBefore['Deployment apply'] ?? 0) + 1,
      'Secret apply': (writesBefore['Secret apply'] ?? 0) + 1,
    });
  }, 30_000);

  it('reports a crash-looping module as backoff with its exit code and restart count, and prunes a removed one', async () => {
    const content = webserverContent();
    content.modulesContent.$edgeAgent['properties.desired'].modules.crasher = {
      version: '1.0', type: 'docker', status: 'running', restartPolicy: 'always',
      settings: { image: 'contoso.azurecr.io/crasher:1.0', createOptions: '{}' },
    };
    await push(content);
    const r = await waitFor('crasher in backoff with restarts', async () => {
      const rep = await reported();
      const m = rep.modules?.crasher;
      return m && m.runtimeStatus === 'backoff' && m.restartCount >= 1 ? m : undefined;
    });
    expect(r.exitCode).toBe(3);

    await push(webserverContent());
    await waitFor('crasher pruned', async () => {
      try {
        await apps.readNamespacedDeployment({ name: 'crasher', namespace: NS });
        return undefined;
      } catch {
        return true;
      }
    });
    await waitFor('crasher removed from reported', async () => ((await reported()).modules?.crasher === undefined ? true : undefined));
  }, 60_000);

  it('reports 500 naming the module when its image cannot be pulled, and 200 once every module is created', async () => {
    const content = webserverContent();
    content.modulesContent.$edgeAgent['properties.desired'].modules.unpullable = {
      version: '1.0', type: 'docker', status: 'running', restartPolicy: 'always',
      settings: { image: 'contoso.azurecr.io/unpullable:1.0', createOptions: '{}' },
    };
    await push(content);
    const version = await desiredVersion();
    const failed = await waitFor('lastDesiredStatus 500 for the pushed version', async () => {
      const rep = await reported();
      return rep.lastDesiredVersion === version ? rep.lastDesiredStatus : undefined;
    });
    expect(failed.code).toBe(500);
    expect(failed.description).toMatch(/module 'unpullable' could not be created: (ErrImagePull|ImagePullBackOff)/);
    expect(failed.description).not.toContain('webserverapp');
    // The module is deployed (edgeAgent keeps retrying too); its pull keeps failing.
    await expect(apps.readNamespacedDeployment({ name: 'unpullable', namespace: NS })).resolves.toBeDefined();

    await push(webserverContent());
    const next = await desiredVersion();
    await waitFor('200 for the next version', async () => {
      const rep = await reported();
      return rep.lastDesiredVersion === next && rep.lastDesiredStatus.code === 200 ? true : undefined;
    });
  }, 60_000);

  it('honours a desired edgeHub status of stopped, and reports the fields edgeAgent reports', async () => {
    const content = webserverContent();
    content.modulesContent.$edgeAgent['properties.desired'].systemModules.edgeHub.status = 'stopped';
    await push(content);
    const version = await desiredVersion();
    const hubDeployment = await waitFor('edgeHub scaled to zero', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'edgehub', namespace: NS });
      return d.spec?.replicas === 0 ? d : undefined;
    });
    expect(hubDeployment.metadata?.annotations?.['net.azure-devices.edge.original-moduleid']).toBe('edgeHub');
    const r = await waitFor('edgeHub reported stopped', async () => {
      const rep = await reported();
      return rep.lastDesiredVersion === version && rep.systemModules?.edgeHub?.runtimeStatus === 'stopped' ? rep : undefined;
    });
    expect(r.lastDesiredStatus).toEqual({ code: 200, description: '' });
    expect(r.systemModules.edgeHub.status).toBe('stopped');
    // edgeAgent's own entry has no restart fields; runtime.settings echoes the desired runtime settings.
    expect(r.systemModules.edgeAgent).not.toHaveProperty('restartCount');
    expect(r.systemModules.edgeAgent).not.toHaveProperty('lastRestartTimeUtc');
    expect(r.systemModules.edgeAgent.startupOrder).toBe(0);
    expect(r.runtime.settings).toEqual({ minDockerVersion: 'v1.25', loggingOptions: '' });
    expect(r.modules.webserverapp.settings.imageHash).toMatch(/\S/);

    await push(webserverContent());
    await waitFor('edgeHub running again', async () => ((await reported()).systemModules?.edgeHub?.runtimeStatus === 'running' ? true : undefined));
    expect((await apps.readNamespacedDeployment({ name: 'edgehub', namespace: NS })).spec?.replicas).toBe(1);
  }, 60_000);

  it('catches up with a deployment pushed while its IoT Hub connection was down', async () => {
    expect(hub.faults.dropConnection(hub.deviceId, '$edgeAgent')).toBe(true);
    const content = webserverContent();
    content.modulesContent.$edgeAgent['properties.desired'].modules.webserverapp.env = { AFTER_DROP: { value: 'yes' } };
    await push(content);
    const version = await desiredVersion();
    await waitFor('the pushed version applied', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS });
      return d.spec?.template.spec?.containers[0]?.env?.some((e) => e.name === 'AFTER_DROP') ? true : undefined;
    });
    await waitFor('the version reported', async () => ((await reported()).lastDesiredVersion === version ? true : undefined));
  }, 60_000);

  it('retries through Kubernetes API 500s and survives dropped and expired watches', async () => {
    kube.faults.failNext(4, { method: 'PATCH' });
    const content = webserverContent();
    content.modulesContent.$edgeAgent['properties.desired'].modules.webserverapp.env = { AFTER_FAULTS: { value: 'yes' } };
    await push(content);
    await waitFor('applied despite the 500s', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS });
      return d.spec?.template.spec?.containers[0]?.env?.some((e) => e.name === 'AFTER_FAULTS') ? true : undefined;
    });
    expect(await (await fetch(`${running.opsUrl}/metrics`)).text()).toMatch(/iotedge_k8s_reconciles_total\{outcome="retry"\} [1-9]/);
    kube.faults.expireNextWatches(7);
    kube.faults.dropWatches();
    await new Promise((r) => setTimeout(r, 500));
    await core.deleteNamespacedService({ name: 'webserverapp-published', namespace: NS });
    await waitFor('Service restored after the watches came back', () => core.readNamespacedService({ name: 'webserverapp-published', namespace: NS }));
    expect(running.bridge.watchRestarts).toBeGreaterThan(0);
    await waitFor('watch restarts counted in /metrics', async () =>
      /iotedge_k8s_watch_restarts_total [1-9]/.test(await (await fetch(`${running.opsUrl}/metrics`)).text()) ? true : undefined,
    );
  }, 60_000);

  it('returns module logs and restarts a module through direct methods', async () => {
    const logs = await service.invokeDeviceMethod(hub.deviceId, '$edgeAgent', {
      methodName: 'GetModuleLogs',
      payload: { schemaVersion: '1.0', items: [{ id: 'webserverapp', filter: { tail: 5 } }], encoding: 'none', contentType: 'text' },
      responseTimeoutInSeconds: 10,
    });
    expect(logs.result.status).toBe(200);
    expect((logs.result.payload as Json)[0].id).toBe('webserverapp');
    const before = await apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS });
    const restart = await service.invokeDeviceMethod(hub.deviceId, '$edgeAgent', {
      methodName: 'RestartModule',
      payload: { schemaVersion: '1.0', id: 'webserverapp' },
      responseTimeoutInSeconds: 10,
    });
    expect(restart.result.status).toBe(200);
    const after = await apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS });
    expect(after.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();
    expect(after.metadata?.generation).toBeGreaterThan(before.metadata?.generation ?? 0);
  }, 30_000);

  it("serves the bridge's own log as module edgeAgent to GetModuleLogs, matched case-insensitively", async () => {
    const logs = await service.invokeDeviceMethod(hub.deviceId, '$edgeAgent', {
      methodName: 'GetModuleLogs',
      payload: { schemaVersion: '1.0', items: [{ id: 'EDGEAGENT', filter: { regex: 'rejected' } }], contentType: 'json' },
      responseTimeoutInSeconds: 10,
    });
    expect(logs.result.status).toBe(200);
    const items = logs.result.payload as { id: string; payload: string; payloadBytes: null }[];
    expect(items.map((i) => i.id)).toEqual(['edgeAgent']);
    const messages = JSON.parse(items[0]!.payload) as Json[];
    // The invalid deployment pushed above was logged as a warning: syslog severity 4.
    expect(messages.length).toBeGreaterThan(0);
    expect(messages[0]).toMatchObject({ id: 'edgeAgent', device: hub.deviceId, stream: 'stdout', loglevel: 4 });
    expect(JSON.parse(messages[0].text)).toMatchObject({ msg: 'desired deployment rejected; the running one stays' });
  }, 30_000);

  it('starts modules in startupOrder groups', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(kube.kubeconfig);
    const seen: { at: number; what: string }[] = [];
    const watch = new Watch(kc);
    const record = (what: (type: string, o: Json) => string | undefined) => (type: string, o: Json) => {
      const w = what(type, o);
      if (w && !seen.some((s) => s.what === w)) seen.push({ at: Date.now(), what: w });
    };
    const deployments = await watch.watch(`/apis/apps/v1/namespaces/${NS}/deployments`, {}, record((t, o) => (t === 'ADDED' && o.metadata.name.startsWith('order-') ? `created ${o.metadata.name}` : undefined)), () => undefined);
    const pods = await watch.watch(`/api/v1/namespaces/${NS}/pods`, {}, record((_t, o) => {
      const running = o.status?.containerStatuses?.some((c: Json) => c.state?.running);
      const module = o.metadata.labels?.['net.azure-devices.edge.module'];
      return running && module?.startsWith('order-') ? `running ${module}` : undefined;
    }), () => undefined);
    try {
      const content = webserverContent();
      const modules = content.modulesContent.$edgeAgent['properties.desired'].modules;
      const mod = (startupOrder: number) => ({ version: '1.0', type: 'docker', status: 'running', restartPolicy: 'always', startupOrder, settings: { image: 'busybox:1.36', createOptions: '{}' } });
      modules['order-late'] = mod(2);
      modules['order-early'] = mod(1);
      await push(content);
      await waitFor('both ordered modules running', () => (seen.filter((s) => s.what.startsWith('running')).length === 2 ? true : undefined));
      const at = (what: string) => seen.find((s) => s.what === what)!.at;
      expect(at('created order-late')).toBeGreaterThanOrEqual(at('running order-early'));
    } finally {
      deployments.abort();
      pods.abort();
    }
  }, 60_000);

  it('serves metrics and readiness', async () => {
    const metrics = await (await fetch(`${running.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/iotedge_k8s_reconciles_total\{outcome="done"\} [1-9]/);
    expect((await fetch(`${running.opsUrl}/readyz`)).status).toBe(200);
  });
});
