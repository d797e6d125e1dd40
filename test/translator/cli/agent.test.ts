/** The edgeAgent row of `list` (pure): from the bridge's pods locally, from the reported properties remotely. */
import { agentFromPods, agentFromReported } from '../../../translator/cli/agent.js';
import { describeModule, listRows } from '../../../translator/cli/list.js';
import type { PodJson, ReportedAgent } from '../../../translator/status/index.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const IMAGE = 'mcr.microsoft.com/azureiotedge-agent:1.5';

function pod(name: string, created: string, status: PodJson['status']): PodJson {
  return { metadata: { name, creationTimestamp: created }, status } as PodJson;
}

test('no bridge pod: unknown, saying that the bridge is seen remotely only', () => {
  expect(agentFromPods([], IMAGE, 'dev')).toMatchObject({ runtimeStatus: 'unknown', statusDescription: "no bridge pod in namespace 'dev' (a bridge outside the cluster is seen remotely only)", settings: { image: IMAGE } });
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
