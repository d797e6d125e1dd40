/** `list` rows and words (pure), and the constants the checks share with translator/identities. */
import { EDGEHUB_SERVER_CERT_KEY, EDGEHUB_SERVER_SECRET } from '../../../translator/identities/index.js';
import { EDGEHUB_CERTIFICATE } from '../../../translator/methods/index.js';
import { describeModule, listRows, renderList } from '../../../translator/cli/list.js';
import { humanDuration } from '../../../translator/cli/output.js';
import type { ReportedModule } from '../../../translator/status/index.js';

const NOW = new Date('2026-12-01T12:00:00Z');

function module(overrides: Partial<ReportedModule>): ReportedModule {
  return {
    runtimeStatus: 'running',
    statusDescription: 'running',
    exitCode: 0,
    lastStartTimeUtc: '2026-12-01T11:57:00Z',
    lastExitTimeUtc: '0001-01-01T00:00:00Z',
    restartCount: 0,
    lastRestartTimeUtc: '0001-01-01T00:00:00Z',
    type: 'docker',
    status: 'running',
    restartPolicy: 'always',
    imagePullPolicy: 'on-create',
    startupOrder: 4294967295,
    env: {},
    settings: { image: 'img:1' },
    ...overrides,
  };
}

test("humanDuration words durations as iotedge list does: chrono-humanize's precise English up to 20 s, its rough one beyond", () => {
  const S = 1_000;
  const M = 60 * S;
  const H = 60 * M;
  const D = 24 * H;
  const cases: [number, string][] = [
    [0, '0 seconds'],
    [1_600, '1 second'],
    [20 * S, '20 seconds'],
    [21 * S, '21 seconds'],
    [30 * S, '30 seconds'],
    [45 * S, '45 seconds'],
    [46 * S, 'a minute'],
    [90 * S, 'a minute'],
    [91 * S, '2 minutes'],
    [150 * S, '2 minutes'],
    [10 * M, '10 minutes'],
    [45 * M, '45 minutes'],
    [46 * M, 'an hour'],
    [H, 'an hour'],
    [2 * H, '2 hours'],
    [22 * H, '22 hours'],
    [23 * H, 'a day'],
    [36 * H, 'a day'],
    [3 * D, '3 days'],
    [6 * D + 13 * H, 'a week'],
    [11 * D, '2 weeks'],
    [30 * D, 'a month'],
    [46 * D, '2 months'],
    [350 * D, 'a year'],
    [600 * D, '2 years'],
    [-5 * S, '0 seconds'],
  ];
  expect(cases.map(([ms]) => humanDuration(ms))).toEqual(cases.map(([, text]) => text));
});

test('DESCRIPTION per runtime status', () => {
  expect(describeModule(module({}), NOW)).toBe('Up 3 minutes');
  expect(describeModule(module({ runtimeStatus: 'failed', exitCode: 2, lastExitTimeUtc: '2026-12-01T11:59:55Z' }), NOW)).toBe('Failed (2) 5 seconds ago');
  expect(describeModule(module({ runtimeStatus: 'stopped', lastExitTimeUtc: '2026-12-01T10:00:00Z' }), NOW)).toBe('Stopped 2 hours ago');
  expect(describeModule(module({ runtimeStatus: 'stopped' }), NOW)).toBe('Stopped');
  expect(describeModule(module({ runtimeStatus: 'unknown' }), NOW)).toBe('Unknown');
  expect(describeModule(module({ runtimeStatus: 'unhealthy' }), NOW)).toBe('Up 3 minutes (unhealthy)');
});

test('rows: edgeHub first, then by name; the table has iotedge list columns', () => {
  const rows = listRows({ zeta: module({}), edgeHub: module({ settings: { image: 'hub:1' } }), alpha: module({ restartCount: 2 }) }, NOW);
  expect(rows.map((r) => r.name)).toEqual(['edgeHub', 'alpha', 'zeta']);
  expect(rows[1]).toMatchObject({ restartCount: 2, config: 'img:1', status: 'running' });
  expect(renderList(rows, 'table').split('\n')[0]).toBe('NAME              STATUS            DESCRIPTION       CONFIG');
});

test("the edgeHub certificate the checks read is the Secret translator/identities writes", () => {
  expect(EDGEHUB_CERTIFICATE).toEqual({ name: EDGEHUB_SERVER_SECRET, key: EDGEHUB_SERVER_CERT_KEY });
});
