/**
 * `iotedge-k8s list`: the device's modules with `iotedge list`'s columns (Azure/iotedge
 * edgelet/iotedge/src/list.rs): NAME, STATUS, DESCRIPTION ("Up 3 minutes", "Stopped 2 hours
 * ago", "Failed (1) 5 seconds ago") and CONFIG (the image). STATUS is edgeAgent's runtimeStatus
 * (running, backoff, unhealthy, stopped, failed, unknown). As `iotedge list` lists every
 * container of the runtime, edgeAgent comes first: the bridge itself (agent.ts).
 */
import type { ListedModule } from './agent.js';
import type { DeviceAccess, ModuleMap } from './device.js';
import { columns, humanDuration, machine, type OutputFormat } from './output.js';

/** One line of `list`. */
export interface ListRow {
  name: string;
  status: string;
  description: string;
  config: string;
  restartCount: number;
  exitCode: number;
  /** What the status comes from (the Kubernetes reason and message). */
  statusDescription: string;
}

function time(utc: string | undefined): Date | undefined {
  if (!utc || utc.startsWith('0001-')) return undefined;
  const ms = Date.parse(utc);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** DESCRIPTION as `iotedge list` words it. */
export function describeModule(m: ListedModule, now: Date): string {
  const started = time(m.lastStartTimeUtc);
  const exited = time(m.lastExitTimeUtc);
  const ago = (t: Date) => `${humanDuration(now.getTime() - t.getTime())} ago`;
  switch (m.runtimeStatus) {
    case 'running':
      return started ? `Up ${humanDuration(now.getTime() - started.getTime())}` : 'Up';
    case 'unhealthy':
      return started ? `Up ${humanDuration(now.getTime() - started.getTime())} (unhealthy)` : 'Up (unhealthy)';
    case 'stopped':
      return exited ? `Stopped ${ago(exited)}` : 'Stopped';
    case 'failed':
      return exited ? `Failed (${m.exitCode}) ${ago(exited)}` : 'Failed';
    case 'backoff':
      return exited ? `Backing off (${m.exitCode}) since ${ago(exited)}` : 'Backing off';
    default:
      return 'Unknown';
  }
}

/** edgeAgent (when given) and edgeHub first, then the modules by name. */
export function listRows(modules: ModuleMap, now: Date, agent?: ListedModule): ListRow[] {
  const names = Object.keys(modules).sort((a, b) => (a === 'edgeHub' ? -1 : b === 'edgeHub' ? 1 : a.localeCompare(b)));
  const entries: [string, ListedModule][] = [...(agent ? [['edgeAgent', agent] as [string, ListedModule]] : []), ...names.map((name): [string, ListedModule] => [name, modules[name]!])];
  return entries.map(([name, m]) => {
    return {
      name,
      status: m.runtimeStatus,
      description: describeModule(m, now),
      config: m.settings?.image ?? '',
      restartCount: m.restartCount ?? 0,
      exitCode: m.exitCode ?? 0,
      statusDescription: m.statusDescription ?? '',
    };
  });
}

export function renderList(rows: readonly ListRow[], format: OutputFormat): string {
  if (format !== 'table') return machine(rows, format);
  return columns(
    ['NAME', 'STATUS', 'DESCRIPTION', 'CONFIG'],
    rows.map((r) => [r.name, r.status, r.description, r.config]),
  );
}

export async function list(device: DeviceAccess, format: OutputFormat, now: () => Date): Promise<string> {
  const { agent, modules } = await device.listed();
  return renderList(listRows(modules, now(), agent), format);
}
