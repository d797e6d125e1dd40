/** Pod, container and workload states -> edgeAgent runtime status, with pod JSON shaped as the API server sends it. */
import type { ModuleModel } from '../../../translator/manifest/index.js';
import type { PodConditionJson } from '../../../translator/status/kube-json.js';
import { moduleRuntimeStatus, MODULE_RESTARTS_ANNOTATION, NEVER_UTC, newestPod, type ContainerStatusJson, type JobJson, type PodJson, type ServiceJson } from '../../../translator/status/index.js';
import { moduleModel as sharedModuleModel } from '../translate/builders.js';

const T0 = '2026-11-28T02:00:00Z';
const T1 = '2026-11-28T02:05:00Z';
const T2 = '2026-11-28T02:10:00Z';

/** The module every case reports on: the shared translator builder's module, with one env variable. */
function moduleModel(overrides: Partial<ModuleModel> = {}): ModuleModel {
  return sharedModuleModel('SimulatedTemperatureSensor', {}, { env: [{ name: 'SendData', value: 'true' }], ...overrides });
}

function pod(phase: string, container: ContainerStatusJson | undefined, options: { created?: string; name?: string; probe?: boolean; conditions?: PodConditionJson[] } = {}): PodJson {
  const name = options.name ?? 'simulatedtemperaturesensor-7d9c6b5f4-x2x8q';
  return {
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'edge',
      creationTimestamp: options.created ?? T0,
      labels: { 'net.azure-devices.edge.module': 'simulatedtemperaturesensor' },
      annotations: { 'net.azure-devices.edge.original-moduleid': 'SimulatedTemperatureSensor' },
    },
    spec: { containers: [{ name: 'simulatedtemperaturesensor', ...(options.probe ? { livenessProbe: { exec: { command: ['true'] } } } : {}) }] },
    status: {
      phase,
      ...(options.conditions ? { conditions: options.conditions } : {}),
      ...(container ? { containerStatuses: [{ name: 'simulatedtemperaturesensor', image: 'mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.5', imageID: 'mcr.microsoft.com/azureiotedge-simulated-temperature-sensor@sha256:abc', ...container }] } : {}),
    },
  };
}

const running = (restartCount = 0, ready = true): ContainerStatusJson => ({ state: { running: { startedAt: T1 } }, ready, started: true, restartCount, lastState: {} });
const crashLoop: ContainerStatusJson = {
  state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=simulatedtemperaturesensor pod=simulatedtemperaturesensor-7d9c6b5f4-x2x8q_edge(1b2c)' } },
  lastState: { terminated: { exitCode: 139, reason: 'Error', startedAt: T0, finishedAt: T1 } },
  ready: false,
  started: false,
  restartCount: 4,
};
const pullBackOff: ContainerStatusJson = {
  state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.invalid/nope:1"' } },
  lastState: {},
  ready: false,
  restartCount: 0,
};
const errImagePull: ContainerStatusJson = { state: { waiting: { reason: 'ErrImagePull', message: 'failed to pull and unpack image' } }, lastState: {}, ready: false, restartCount: 0 };
const creating: ContainerStatusJson = { state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, ready: false, restartCount: 0 };
const terminated = (exitCode: number): ContainerStatusJson => ({
  state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: T0, finishedAt: T1 } },
  lastState: {},
  ready: false,
  restartCount: 0,
});

describe('runtimeStatus table (the preview table plus the cases it got wrong)', () => {
  const rows: [string, string, PodJson][] = [
    ['Running + running', 'running', pod('Running', running())],
    ['Running + waiting CrashLoopBackOff', 'backoff', pod('Running', crashLoop)],
    ['Pending + waiting ImagePullBackOff (reported at once)', 'backoff', pod('Pending', pullBackOff)],
    ['Pending + waiting ErrImagePull', 'backoff', pod('Pending', errImagePull)],
    ['Pending + ContainerCreating before any start', 'unknown', pod('Pending', creating)],
    ['Running + terminated exit 1', 'failed', pod('Running', terminated(1))],
    ['Running + terminated exit 0', 'stopped', pod('Running', terminated(0))],
    ['Pending + terminated exit 2', 'failed', pod('Pending', terminated(2))],
    ['Pending without container status, unschedulable', 'backoff', pod('Pending', undefined, { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available' }] })],
    ['Pending without container status, just created', 'unknown', pod('Pending', undefined)],
    ['Unknown phase', 'unknown', pod('Unknown', running())],
    ['Succeeded', 'stopped', pod('Succeeded', terminated(0))],
    ['Failed', 'failed', pod('Failed', terminated(137))],
    ['running but not ready with a liveness probe', 'unhealthy', pod('Running', running(2, false), { probe: true })],
    ['running, not ready, no probe', 'running', pod('Running', running(0, false))],
  ];
  test.each(rows)('%s -> %s', (_name, expected, p) => {
    expect(moduleRuntimeStatus({ module: moduleModel(), pods: [p] }).runtimeStatus).toBe(expected);
  });
});

describe('details of a module report', () => {
  test('a crash loop: backoff with exit code, real restart count, times and the Kubernetes reason', () => {
    const r = moduleRuntimeStatus({ module: moduleModel(), pods: [pod('Running', crashLoop)] });
    expect(r).toMatchObject({
      runtimeStatus: 'backoff',
      exitCode: 139,
      restartCount: 4,
      lastStartTimeUtc: T0,
      lastExitTimeUtc: T1,
      lastRestartTimeUtc: T0,
    });
    expect(r.statusDescription).toBe(`CrashLoopBackOff: ${crashLoop.state!.waiting!.message}`);
  });

  test('running copies the desired fields edgeAgent copies', () => {
    const m = moduleModel({ version: '1.2', createOptions: { HostConfig: { Privileged: true } }, startupOrder: 2 });
    expect(moduleRuntimeStatus({ module: m, pods: [pod('Running', running(1))] })).toEqual({
      runtimeStatus: 'running',
      statusDescription: 'running',
      exitCode: 0,
      lastStartTimeUtc: T1,
      lastExitTimeUtc: NEVER_UTC,
      restartCount: 1,
      lastRestartTimeUtc: T1,
      type: 'docker',
      status: 'running',
      restartPolicy: 'always',
      imagePullPolicy: 'on-create',
      startupOrder: 2,
      version: '1.2',
      env: { SendData: { value: 'true' } },
      settings: {
        image: 'mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.5',
        createOptions: '{"HostConfig":{"Privileged":true}}',
        imageHash: 'mcr.microsoft.com/azureiotedge-simulated-temperature-sensor@sha256:abc',
      },
    });
  });

  test('the default startupOrder is left out and imageHash is empty without a pod, as edgeAgent writes them', () => {
    const r = moduleRuntimeStatus({ module: moduleModel({ startupOrder: 4294967295 }), pods: [] });
    expect(r).not.toHaveProperty('startupOrder');
    expect(r.settings.imageHash).toBe('');
  });

  test('long createOptions are chunked at 512 characters as in manifests', () => {
    const m = moduleModel({ createOptions: { Env: ['X=' + 'a'.repeat(1100)] } });
    const s = moduleRuntimeStatus({ module: m, pods: [] }).settings;
    const text = JSON.stringify(m.createOptions);
    expect(s.createOptions).toBe(text.slice(0, 512));
    expect(s.createOptions01).toBe(text.slice(512, 1024));
    expect(s.createOptions02).toBe(text.slice(1024));
  });

  test('the newest pod wins (a rollout with an old crashing pod and a new running one)', () => {
    const old = pod('Running', crashLoop, { created: T0, name: 'a-old' });
    const fresh = pod('Running', running(), { created: T2, name: 'a-new' });
    expect(newestPod([fresh, old])).toBe(fresh);
    expect(moduleRuntimeStatus({ module: moduleModel(), pods: [old, fresh] }).runtimeStatus).toBe('running');
    expect(moduleRuntimeStatus({ module: moduleModel(), pods: [fresh, old] }).runtimeStatus).toBe('running');
  });

  test('desired stopped reports stopped even while a pod terminates', () => {
    const r = moduleRuntimeStatus({ module: moduleModel({ status: 'stopped' }), workload: { kind: 'Deployment', spec: { replicas: 0 } }, pods: [pod('Running', running())] });
    expect(r.runtimeStatus).toBe('stopped');
    expect(r.status).toBe('stopped');
  });

  test('no pod: unknown, saying why', () => {
    expect(moduleRuntimeStatus({ module: moduleModel(), pods: [] })).toMatchObject({ runtimeStatus: 'unknown', statusDescription: 'no workload deployed', restartCount: 0, lastStartTimeUtc: NEVER_UTC });
    expect(moduleRuntimeStatus({ module: moduleModel(), workload: { kind: 'Deployment' }, pods: [] }).statusDescription).toBe('Deployment has no pod yet');
  });
});

describe('Job-backed modules', () => {
  const job = (type: 'Complete' | 'Failed'): JobJson => ({
    kind: 'Job',
    metadata: { name: 'oneshot' },
    status: { conditions: [{ type, status: 'True', ...(type === 'Failed' ? { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' } : {}) }] },
  });
  const m = moduleModel({ restartPolicy: 'never' });

  test('completed with exit 0 -> stopped', () => {
    expect(moduleRuntimeStatus({ module: m, workload: job('Complete'), pods: [pod('Succeeded', terminated(0))] })).toMatchObject({ runtimeStatus: 'stopped', exitCode: 0, lastExitTimeUtc: T1 });
  });

  test('failed -> failed with its exit code and the Job reason', () => {
    const r = moduleRuntimeStatus({ module: m, workload: job('Failed'), pods: [pod('Failed', terminated(3))] });
    expect(r).toMatchObject({ runtimeStatus: 'failed', exitCode: 3 });
    expect(r.statusDescription).toBe('BackoffLimitExceeded: Job has reached the specified backoff limit (exit code 3)');
  });

  test('still active -> from its pod', () => {
    expect(moduleRuntimeStatus({ module: m, workload: { kind: 'Job', status: { active: 1 } }, pods: [pod('Running', running())] }).runtimeStatus).toBe('running');
  });
});

describe('LoadBalancer address', () => {
  const service = (ingress?: { ip?: string; hostname?: string }[]): ServiceJson => ({
    kind: 'Service',
    spec: { type: 'LoadBalancer', ports: [{ port: 8080, protocol: 'TCP' }] },
    status: { loadBalancer: ingress ? { ingress } : {} },
  });

  test('an assigned address is reported in externalAddress and the description', () => {
    const r = moduleRuntimeStatus({ module: moduleModel(), pods: [pod('Running', running())], service: service([{ ip: '192.0.2.10' }]) });
    expect(r.externalAddress).toBe('192.0.2.10:8080');
    expect(r.statusDescription).toBe('running; external address 192.0.2.10:8080');
  });

  test('pending address and ClusterIP services', () => {
    const pending = moduleRuntimeStatus({ module: moduleModel(), pods: [pod('Running', running())], service: service() });
    expect(pending.externalAddress).toBeUndefined();
    expect(pending.statusDescription).toBe('running; external address pending');
    const cluster = moduleRuntimeStatus({ module: moduleModel(), pods: [pod('Running', running())], service: { spec: { type: 'ClusterIP' } } });
    expect(cluster).not.toHaveProperty('externalAddress');
    expect(cluster.statusDescription).toBe('running');
  });
});

describe('restarts made by RestartModule', () => {
  test('the pod template count is added to the container restartCount (a rollout starts a new pod at 0)', () => {
    const restarted = pod('Running', running(1));
    restarted.metadata!.annotations![MODULE_RESTARTS_ANNOTATION] = '2';
    const status = moduleRuntimeStatus({ module: moduleModel(), pods: [restarted] });
    expect(status.restartCount).toBe(3);
    expect(status.lastRestartTimeUtc).toBe(T1);
    const garbage = pod('Running', running(0));
    garbage.metadata!.annotations![MODULE_RESTARTS_ANNOTATION] = 'many';
    expect(moduleRuntimeStatus({ module: moduleModel(), pods: [garbage] }).restartCount).toBe(0);
  });
});
