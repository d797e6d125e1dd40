/** renderModuleTable and LiveTable in both modes; TTY output is replayed on a tiny screen model. */
import { describeRow, LiveTable, moduleRows, renderModuleTable, type ModuleRow } from '../../../translator/cli/table.js';
import { replay } from '../../support/screen.js';

const web: ModuleRow = { module: 'webserverapp', desiredStatus: 'running', runtimeStatus: 'running', restartCount: 0, address: '10.96.0.12:8080' };
const sensor: ModuleRow = { module: 'SimulatedTemperatureSensor', desiredStatus: 'running', runtimeStatus: 'backoff', restartCount: 3 };

describe('renderModuleTable', () => {
  test('aligns the columns under the header', () => {
    expect(renderModuleTable([web, sensor])).toBe(
      [
        'MODULE                       DESIRED   RUNTIME   RESTARTS   ADDRESS',
        'webserverapp                 running   running   0          10.96.0.12:8080',
        'SimulatedTemperatureSensor   running   backoff   3',
        '',
      ].join('\n'),
    );
  });

  test('an empty table is the header alone', () => {
    expect(renderModuleTable([])).toBe('MODULE   DESIRED   RUNTIME   RESTARTS   ADDRESS\n');
  });

  test('width cuts long lines with an ellipsis', () => {
    const lines = renderModuleTable([web, sensor], 40).split('\n').slice(0, -1);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(40);
    expect(lines[1]!.endsWith('…')).toBe(true);
    expect(lines[1]!.startsWith('webserverapp ')).toBe(true);
  });
});

describe('LiveTable on a terminal', () => {
  test('redraws in place, only when the content changed', () => {
    const writes: string[] = [];
    const table = new LiveTable({ write: (t) => writes.push(t) }, true);
    table.update([web]);
    expect(replay(writes)).toEqual(renderModuleTable([web]).trimEnd().split('\n'));
    table.update([web]);
    expect(writes).toHaveLength(1);

    const restarted = { ...sensor, restartCount: 4 };
    table.update([web, restarted]);
    expect(writes).toHaveLength(2);
    expect(writes[1]).toContain('\u001b[2A');
    expect(replay(writes)).toEqual(renderModuleTable([web, restarted]).trimEnd().split('\n'));

    // Shrinking leaves no stale line below the table.
    table.update([sensor]);
    expect(replay(writes)).toEqual(renderModuleTable([sensor]).trimEnd().split('\n'));
  });

  test('prints lines above the table, which is drawn again below them', () => {
    const writes: string[] = [];
    const table = new LiveTable({ write: (t) => writes.push(t) }, true);
    table.print('before any table\n');
    table.update([web, sensor]);
    table.print('webserver: http://127.102.0.2:8080/\n');
    table.update([web]);
    expect(replay(writes)).toEqual(['before any table', 'webserver: http://127.102.0.2:8080/', ...renderModuleTable([web]).trimEnd().split('\n')]);
  });

  test('never moves up over lines written since its last drawing: the table is drawn again below them', () => {
    const writes: string[] = [];
    const table = new LiveTable({ write: (t) => writes.push(t) }, true);
    const other = (line: string) => {
      table.interrupted();
      writes.push(line + '\n');
    };
    other('Metrics and health: http://127.0.0.1:9600/metrics');
    table.update([web, sensor]);
    other('{"level":30,"msg":"reconcile done"}');
    other('{"level":40,"msg":"module restarted"}');
    const restarted = { ...sensor, restartCount: 4 };
    table.update([web, restarted]);
    table.update([web, { ...restarted, restartCount: 5 }]);
    const screen = replay(writes);
    const tableLines = (rows: ModuleRow[]) => renderModuleTable(rows).trimEnd().split('\n');
    expect(screen).toEqual([
      'Metrics and health: http://127.0.0.1:9600/metrics',
      ...tableLines([web, sensor]),
      '{"level":30,"msg":"reconcile done"}',
      '{"level":40,"msg":"module restarted"}',
      // Redrawn in place while nothing else was written.
      ...tableLines([web, { ...restarted, restartCount: 5 }]),
    ]);
  });

  test('uses the terminal width', () => {
    const writes: string[] = [];
    new LiveTable({ write: (t) => writes.push(t), columns: 30 }, true).update([web, sensor]);
    for (const line of replay(writes)) expect(line.length).toBeLessThanOrEqual(30);
  });
});

describe('LiveTable without a terminal', () => {
  test('writes plain lines for new and changed rows only', () => {
    const writes: string[] = [];
    const table = new LiveTable({ write: (t) => writes.push(t) }, false);
    table.update([web, sensor]);
    expect(writes.join('')).toBe(
      'module webserverapp: running (restarts 0) at 10.96.0.12:8080\nmodule SimulatedTemperatureSensor: backoff (desired running) (restarts 3)\n',
    );
    table.update([web, sensor]);
    expect(writes).toHaveLength(1);
    table.update([web, { ...sensor, runtimeStatus: 'running', restartCount: 4 }]);
    expect(writes[1]).toBe('module SimulatedTemperatureSensor: running (restarts 4)\n');
    table.update([{ ...sensor, runtimeStatus: 'running', restartCount: 4 }]);
    expect(writes[2]).toBe('module webserverapp: removed\n');
    expect(writes.join('')).not.toContain('\u001b');
  });

  test('describeRow matches the documented form', () => {
    expect(describeRow({ module: 'webserverapp', desiredStatus: 'running', runtimeStatus: 'running', restartCount: 0 })).toBe('module webserverapp: running (restarts 0)');
    expect(describeRow({ module: 'job', desiredStatus: 'stopped', runtimeStatus: 'stopped', restartCount: 0 })).toBe('module job: stopped (restarts 0)');
  });
});

describe('moduleRows', () => {
  const reported = (runtimeStatus: 'running' | 'backoff', status: 'running' | 'stopped', restartCount: number, externalAddress?: string) =>
    ({ runtimeStatus, status, restartCount, ...(externalAddress ? { externalAddress } : {}) }) as unknown as import('../../../translator/status/index.js').ReportedModule;

  test('edgeHub first, then modules by name, with desired status, restarts and address', () => {
    const rows = moduleRows({
      systemModules: { edgeAgent: {} as never, edgeHub: reported('running', 'running', 0) },
      modules: { web: reported('running', 'running', 1, '10.0.0.9:8080'), sensor: reported('backoff', 'running', 5) },
    });
    expect(rows).toEqual([
      { module: 'edgeHub', desiredStatus: 'running', runtimeStatus: 'running', restartCount: 0 },
      { module: 'sensor', desiredStatus: 'running', runtimeStatus: 'backoff', restartCount: 5 },
      { module: 'web', desiredStatus: 'running', runtimeStatus: 'running', restartCount: 1, address: '10.0.0.9:8080' },
    ]);
  });

  test('no edgeHub, no modules: no rows', () => {
    expect(moduleRows({ systemModules: { edgeAgent: {} as never }, modules: {} })).toEqual([]);
  });
});
