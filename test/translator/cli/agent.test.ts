/** The edgeAgent row of `list` (pure): from the bridge's pods (else its Lease) locally, from the reported properties remotely. */
import { agentFromLease, agentFromPods, agentFromReported } from '../../../translator/cli/agent.js';
import type { StoredLease } from '../../../translator/leader/index.js';
import { describeModule, listRows } from '../../../translator/cli/list.js';
import type { PodJson, ReportedAgent } from '../../../translator/status/index.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const IMAGE = 'mcr.microsoft.com/azureiotedge-agent:1.5';

function pod(name: string, created: string, status: PodJson['status']): PodJson {
  return { metadata: { name, creationTimestamp: created }, status } as PodJson;
}

test('no bridge pod: unknown', () => {
  expect(agentFromPods([], IMAGE, 'dev')).toMatchObject({ runtimeStatus: 'unknown', statusDescription: "no bridge pod in namespace 'dev'", settings: { image: IMAGE } });
});

describe('no bridge pod: the Lease iotedge-k8s (a bridge outside the cluster)', () => {
  const lease = (holderIdentity: string, renewTime: string): StoredLease => ({
    resourceVersion: '3',
    startedAt: '2026-12-01T11:57:00.250Z',
    record: { holderIdentity, leaseDurationSeconds: 40, acquireTime: '2026-12-01T11:57:01.000000Z', renewTime, leaseTransitions: 0 },
  });

  test('renewed within its duration: running since the start time the bridge wrote (the same uptime as remotely)', () => {
    const a = agentFromLease(lease('laptop_42', '2026-12-01T11:59:55.000000Z'), IMAGE, 'dev', NOW);
    expect(a).toEqual({ runtimeStatus: 'running', statusDescription: 'running', exitCode: 0, lastStartTimeUtc: '2026-12-01T11:57:00.250Z', lastExitTimeUtc: '0001-01-01T00:00:00Z', restartCount: 0, settings: { image: IMAGE } });
    expect(describeModule(a, NOW)).toBe('Up 2 minutes'); // 2 min 59.75 s: iotedge rounds whole units down
  });

  test('expired: unknown, saying since when no heartbeat came', () => {
    const a = agentFromLease(lease('laptop_42', '2026-12-01T11:59:19.900000Z'), IMAGE, 'dev', NOW);
    expect(a).toMatchObject({
      runtimeStatus: 'unknown',
      statusDescription: 'no heartbeat from laptop_42 since 2026-12-01T11:59:19Z (the Lease iotedge-k8s expired at 2026-12-01T11:59:59Z): the bridge stopped without releasing it or cannot reach the cluster',
      lastStartTimeUtc: '2026-12-01T11:57:00.250Z',
    });
    expect(describeModule(a, NOW)).toBe('Unknown');
  });

  test('released: stopped when the bridge released it; no Lease: unknown', () => {
    const a = agentFromLease(lease('', '2026-12-01T11:59:00.000000Z'), IMAGE, 'dev', NOW);
    expect(a).toMatchObject({ runtimeStatus: 'stopped', statusDescription: 'stopped: the bridge released the Lease iotedge-k8s at 2026-12-01T11:59:00Z', lastExitTimeUtc: '2026-12-01T11:59:00Z', exitCode: 0 });
    expect(describeModule(a, NOW)).toBe('Stopped a minute ago');
    expect(agentFromLease(undefined, IMAGE, 'dev', NOW)).toMatchObject({ runtimeStatus: 'unknown', statusDescription: "no bridge pod and no Lease iotedge-k8s in namespace 'dev': no bridge has run for this device here", settings: { image: IMAGE } });
  });
});

test('a running bridge pod: running since its container started, CONFIG the deployment image, restartCount 0 as edgeAgent reports', () => {
  const a = agentFromPods([pod('b-1', '2026-12-01T11:00:00Z', { phase: 'Running', containerStatuses: [{ state: { running: { startedAt: new Date('2026-12-01T11:00:05Z') } }, restartCount: 1 }] })], IMAGE, 'dev');
  expect(a).toMatchObject({ runtimeStatus: 'running', statusDescription: 'running', lastStartTimeUtc: '2026-12-01T11:00:05Z', restartCount: 0, settings: { image: IMAGE } });
  expect(describeModule(a, NOW)).toBe('Up an hour');
});

test('with several replicas the ready one (the leader) is shown; a crash-looping one is backoff', () => {
  const leader = pod('b-old', '2026-12-01T10:00:00Z', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ state: { running: { startedAt: '2026-12-01T10:00:01Z' } } }] });
  const standby = pod('b-new', '2026-12-01T11:00:00Z', { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ state: { running: { startedAt: '2026-12-01T11:00:01Z' } } }] });
  expect(agentFromPods([standby, leader], IMAGE, 'dev').lastStartTimeUtc).toBe('2026-12-01T10:00:01Z');
  const crashing = pod('b-2', '2026-12-01T11:00:00Z', {
    phase: 'Running',
    containerStatuses: [{ state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } }, lastState: { terminated: { exitCode: 1, finishedAt: '2026-12-01T11:59:50Z' } }, restartCount: 4 }],
  });
  const a = agentFromPods([crashing], IMAGE, 'dev');
  expect(a).toMatchObject({ runtimeStatus: 'backoff', statusDescription: 'CrashLoopBackOff: back-off 40s', exitCode: 1, restartCount: 0 });
  expect(describeModule(a, NOW)).toBe('Backing off (1) since 10 seconds ago');
  const ended = agentFromPods([pod('b-3', '2026-12-01T11:00:00Z', { phase: 'Failed', containerStatuses: [{ state: { terminated: { exitCode: 2, reason: 'Error', finishedAt: '2026-12-01T11:59:00Z' } } }] })], IMAGE, 'dev');
  expect(ended).toMatchObject({ runtimeStatus: 'failed', exitCode: 2, statusDescription: 'Error' });
});

test('remotely: the reported systemModules.edgeAgent; unknown until the bridge reported it', () => {
  const reported = { runtimeStatus: 'running', statusDescription: 'running', exitCode: 0, lastStartTimeUtc: '2026-12-01T11:57:00Z', lastExitTimeUtc: '0001-01-01T00:00:00Z', settings: { image: IMAGE } } as unknown as ReportedAgent;
  expect(agentFromReported(reported)).toMatchObject({ runtimeStatus: 'running', lastStartTimeUtc: '2026-12-01T11:57:00Z', settings: { image: IMAGE }, restartCount: 0 });
  expect(agentFromReported(undefined)).toMatchObject({ runtimeStatus: 'unknown', statusDescription: 'the bridge has not reported edgeAgent yet' });
  const rows = listRows({ edgeHub: agentFromReported(reported) as never, a: agentFromReported(reported) as never }, NOW, agentFromReported(reported));
  expect(rows.map((r) => [r.name, r.description, r.config])).toEqual([
    ['edgeAgent', 'Up 3 minutes', IMAGE],
    ['edgeHub', 'Up 3 minutes', IMAGE],
    ['a', 'Up 3 minutes', IMAGE],
  ]);
});

test("remotely, a bridge IoT Hub sees Disconnected is unknown, whatever it last reported (its uptime no longer grows)", () => {
  const reported = { runtimeStatus: 'running', statusDescription: 'running', exitCode: 0, lastStartTimeUtc: '2026-12-01T11:57:00Z', lastExitTimeUtc: '0001-01-01T00:00:00Z', settings: { image: IMAGE } } as unknown as ReportedAgent;
  expect(agentFromReported(reported, 'Connected')).toMatchObject({ runtimeStatus: 'running', statusDescription: 'running' });
  const gone = agentFromReported(reported, 'Disconnected');
  expect(gone).toMatchObject({ runtimeStatus: 'unknown', statusDescription: "not connected to IoT Hub (it last reported 'running'; the other modules are shown as last reported)", settings: { image: IMAGE }, restartCount: 0 });
  expect(describeModule(gone, NOW)).toBe('Unknown');
});
