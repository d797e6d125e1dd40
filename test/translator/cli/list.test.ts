/** `list` rows and words (pure), and the constants the checks share with translator/identities. */
import { EDGEHUB_SERVER_SECRET } from '../../../translator/identities/index.js';
import { EDGEHUB_CERTIFICATE } from '../../../translator/methods/index.js';
import { EDGEHUB_CERTIFICATE_KEY } from '../../../translator/cli/check.js';
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

test('humanDuration words durations as chrono-humanize does, roughly', () => {
  expect([0, 1_000, 20_000, 30_000, 60_000, 150_000, 3_600_000, 7_200_000, 86_400_000, 3 * 86_400_000].map(humanDuration)).toEqual([
    '0 seconds',
    '1 second',
    '20 seconds',
    'a few seconds',
    'a minute',
    '3 minutes',
    'an hour',
    '2 hours',
    'a day',
    '3 days',
  ]);
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
  expect(EDGEHUB_CERTIFICATE).toEqual({ name: EDGEHUB_SERVER_SECRET, key: EDGEHUB_CERTIFICATE_KEY });
});
