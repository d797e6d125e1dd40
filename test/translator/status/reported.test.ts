/** The whole `$edgeAgent` reported document, against the manifest parser's model. */
import { parseManifest } from '../../../translator/manifest/index.js';
import { moduleRuntimeStatus, NEVER_UTC, reportedDocument, type ReportedModule } from '../../../translator/status/index.js';

const manifest = {
  modulesContent: {
    $edgeAgent: {
      'properties.desired': {
        schemaVersion: '1.1',
        runtime: { type: 'docker', settings: { minDockerVersion: 'v1.25', registryCredentials: { acr: { address: 'acr.azurecr.io', username: 'u', password: 'p4ssw0rd' } } } },
        systemModules: {
          edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5', createOptions: '{}' }, env: { RuntimeLogLevel: { value: 'debug' } } },
          edgeHub: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5', createOptions: '{}' } },
        },
        modules: {
          web: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'nginx:1.27' } },
        },
      },
    },
  },
};

test('the document edgeAgent writes: versions, runtime, systemModules (edgeHub moved there), modules', () => {
  const { model } = parseManifest(manifest);
  expect(model).toBeDefined();
  const modules = new Map<string, ReportedModule>();
  for (const m of [model!.edgeHub!, ...model!.modules]) modules.set(m.name, moduleRuntimeStatus({ module: m, pods: [] }));
  const doc = reportedDocument({
    model,
    modules,
    lastDesiredVersion: 7,
    lastDesiredStatus: { code: 200, description: '' },
    bridgeVersion: { version: '0.1.0', build: '42', commit: 'abc1234' },
    platform: { os: 'linux', architecture: 'x86_64', version: '1.30.0' },
    startedAt: '2026-11-28T02:00:00Z',
  });
  expect(Object.keys(doc)).toEqual(['schemaVersion', 'version', 'lastDesiredVersion', 'lastDesiredStatus', 'runtime', 'systemModules', 'modules']);
  expect(doc).toMatchObject({
    schemaVersion: '1.0',
    version: { version: '0.1.0', build: '42', commit: 'abc1234' },
    lastDesiredVersion: 7,
    lastDesiredStatus: { code: 200, description: '' },
    runtime: { type: 'docker', settings: { minDockerVersion: 'v1.25', loggingOptions: '' }, platform: { os: 'linux', architecture: 'x86_64', version: '1.30.0' } },
  });
  expect(doc.systemModules.edgeAgent).toEqual({
    runtimeStatus: 'running',
    statusDescription: 'running',
    exitCode: 0,
    lastStartTimeUtc: '2026-11-28T02:00:00Z',
    lastExitTimeUtc: NEVER_UTC,
    type: 'docker',
    imagePullPolicy: 'on-create',
    startupOrder: 0,
    settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5' },
    env: { RuntimeLogLevel: { value: 'debug' } },
  });
  expect(doc.systemModules.edgeHub).toMatchObject({ runtimeStatus: 'unknown', settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5' } });
  // edgeAgent writes no version for edgeHub and no registry credentials anywhere.
  expect(doc.systemModules.edgeHub).not.toHaveProperty('version');
  expect(JSON.stringify(doc)).not.toContain('registryCredentials');
  expect(JSON.stringify(doc)).not.toContain('p4ssw0rd');
  expect(Object.keys(doc.modules)).toEqual(['web']);
  expect(doc.modules.web).toMatchObject({ status: 'running', settings: { image: 'nginx:1.27' } });
});

test('without a model (invalid desired state) the observed modules are still reported', () => {
  const { model } = parseManifest(manifest);
  const web = moduleRuntimeStatus({ module: model!.modules[0]!, pods: [] });
  const doc = reportedDocument({
    modules: new Map([['web', web]]),
    lastDesiredVersion: 8,
    lastDesiredStatus: { code: 400, description: 'schema error at /modules/x' },
    bridgeVersion: { version: '0.1.0', build: '', commit: '' },
    platform: { os: 'linux', architecture: 'aarch64', version: '' },
  });
  expect(doc.lastDesiredStatus).toEqual({ code: 400, description: 'schema error at /modules/x' });
  expect(doc.systemModules.edgeAgent.settings.image).toBe('iotedge-k8s');
  expect(doc.systemModules).not.toHaveProperty('edgeHub');
  expect(doc.modules.web).toBe(web);
});

test("the bridge's note goes into edgeAgent's statusDescription, and module notes (identity errors) into those modules' descriptions", () => {
  const { model } = parseManifest(manifest);
  const modules = new Map<string, ReportedModule>();
  for (const m of [model!.edgeHub!, ...model!.modules]) modules.set(m.name, moduleRuntimeStatus({ module: m, pods: [] }));
  const doc = reportedDocument({
    model,
    modules,
    lastDesiredVersion: 3,
    lastDesiredStatus: { code: 200, description: '' },
    bridgeVersion: { version: '0.1.0', build: '', commit: '' },
    platform: { os: 'linux', architecture: 'x86_64', version: '' },
    agentNote: 'modules get no IoT Hub credentials',
    moduleNotes: new Map([['web', 'module identity: IoT Hub unreachable; retrying in 2s']]),
  });
  expect(doc.systemModules.edgeAgent.statusDescription).toBe('running; modules get no IoT Hub credentials');
  expect(doc.modules.web!.statusDescription).toBe(`${modules.get('web')!.statusDescription}; module identity: IoT Hub unreachable; retrying in 2s`);
  expect(doc.modules.web!.runtimeStatus).toBe(modules.get('web')!.runtimeStatus);
  expect(doc.systemModules.edgeHub!.statusDescription).toBe(modules.get('edgeHub')!.statusDescription);
});
