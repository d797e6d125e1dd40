/**
 * `iotedge-k8s fleet --hub-connection-string CS [--ca FILE] [--where CONDITION] [-o table|json]
 * [--watch]`: the state of every IoT Edge device of a hub as a fleet operator sees it through
 * IoT Hub, and the counts of each deployment.
 *
 * Built on azure-iothub: `Registry.createQuery` pages through
 * `SELECT * FROM devices WHERE capabilities.iotEdge = true [AND (CONDITION)]` (the device twins,
 * so `--where` sees device tags) and `SELECT * FROM devices.modules WHERE moduleId = '$edgeAgent'`
 * (desired and reported properties of each agent); `Registry.getConfigurations` gives the
 * deployments with IoT Hub's system metrics. Works against a real IoT Hub and the sandbox hub.
 * Connection strings and keys never appear in the output.
 */
// azure-iothub is CommonJS: Node's ESM loader only gives it as a default export.
import iothub from 'azure-iothub';
import { isObject, type JsonObject } from '../shared/index.js';
import { scrubSecrets, trustHubCa } from '../twin/index.js';
import { FleetError } from './errors.js';
import { describeHubError, hubHostOf, readCaPem, withHubTimeout } from './hub-service.js';

const fleetError = (message: string) => new FleetError(message);

const { Registry } = iothub;
type Registry = InstanceType<typeof Registry>;

/** Flags of `iotedge-k8s fleet`. */
export interface FleetFlags {
  /** IoT Hub connection string with registry read rights. Never printed. */
  hubConnectionString: string;
  /** PEM file of a CA to trust for the service API (the sandbox hub's `hub-ca.pem`). */
  ca?: string;
  /** A twin query condition on the device twins (`tags.env = 'prod'`). */
  where?: string;
  output: 'table' | 'json';
  /** Redraw every `interval` seconds until stopped. */
  watch?: boolean;
  /** Seconds between refreshes with `watch`. @default 5 */
  interval?: number;
  /** Longest wait for each IoT Hub answer. @default 30000 */
  timeoutMs?: number;
}

/** Output channels; `main.ts`'s `Io` fits. */
export interface FleetIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** A module that is not running, and why. */
export interface ModuleProblem {
  module: string;
  /** Desired status from the deployment (`running`, `stopped`), when the module is deployed. */
  desiredStatus?: string;
  /** Reported runtime status, or `not reported`. */
  runtimeStatus: string;
  statusDescription?: string;
  exitCode?: number;
}

/** One IoT Edge device's line. */
export interface DeviceState {
  deviceId: string;
  /** `connectionState` of the `$edgeAgent` module (the bridge's connection). */
  connected: boolean;
  /** `$version` of the `$edgeAgent` desired properties. */
  desiredVersion: number | null;
  /** `lastDesiredVersion` the agent reported (the desired version it last processed). */
  reportedVersion: number | null;
  /** `lastDesiredStatus.code` (200 ok, 400 invalid, 406, 412, 417, 500). */
  statusCode: number | null;
  statusDescription?: string;
  /** Modules (edgeHub and the deployment's modules) that run, and how many there are. */
  modulesRunning: number;
  modulesTotal: number;
  notRunning: ModuleProblem[];
}

/** One deployment's line. */
export interface DeploymentState {
  id: string;
  priority: number;
  layered: boolean;
  targetCondition: string;
  targeted: number | null;
  applied: number | null;
  reportedSuccessful: number | null;
  reportedFailed: number | null;
}

/** What `fleet` shows. */
export interface FleetView {
  devices: DeviceState[];
  deployments: DeploymentState[];
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** The modules of an agent's desired properties: edgeHub (when deployed) and `modules`, with their desired status. */
function desiredModules(desired: JsonObject): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  if (isObject(desired.systemModules) && isObject(desired.systemModules.edgeHub)) out.set('edgeHub', 'running');
  if (isObject(desired.modules)) {
    for (const [name, m] of Object.entries(desired.modules)) out.set(name, isObject(m) && typeof m.status === 'string' ? m.status : undefined);
  }
  return out;
}

/**
 * lastDesiredStatus codes with which edgeAgent refuses a deployment without applying any of it
 * (400 invalid, 412 unsupported schema version, 417 empty): the modules it adds are not deployed,
 * and the device runs its last good deployment (Azure/iotedge
 * edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/DeploymentStatusCode.cs).
 */
const REFUSED_CODES = new Set([400, 412, 417]);

/** The state of one device from its `$edgeAgent` module twin. Pure. */
export function deviceState(deviceId: string, agentTwin: JsonObject | undefined): DeviceState {
  const props = isObject(agentTwin?.properties) ? agentTwin.properties : {};
  const desired = isObject(props.desired) ? props.desired : {};
  const reported = isObject(props.reported) ? props.reported : {};
  const status = isObject(reported.lastDesiredStatus) ? reported.lastDesiredStatus : {};
  const reportedModules = new Map<string, JsonObject>();
  if (isObject(reported.systemModules) && isObject(reported.systemModules.edgeHub)) reportedModules.set('edgeHub', reported.systemModules.edgeHub);
  if (isObject(reported.modules)) for (const [name, m] of Object.entries(reported.modules)) if (isObject(m)) reportedModules.set(name, m);
  const wanted = desiredModules(desired);
  const names = [...new Set([...wanted.keys(), ...reportedModules.keys()])].sort((a, b) => (a === 'edgeHub' ? -1 : b === 'edgeHub' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const notRunning: ModuleProblem[] = [];
  let running = 0;
  for (const name of names) {
    const m = reportedModules.get(name);
    const desiredStatus = wanted.get(name) ?? (typeof m?.status === 'string' ? m.status : undefined);
    if (m?.runtimeStatus === 'running') {
      running += 1;
      continue;
    }
    const refused = !m && typeof status.code === 'number' && REFUSED_CODES.has(status.code);
    const problem: ModuleProblem = { module: name, runtimeStatus: typeof m?.runtimeStatus === 'string' ? m.runtimeStatus : refused ? 'not deployed' : 'not reported' };
    if (desiredStatus !== undefined) problem.desiredStatus = desiredStatus;
    if (typeof m?.statusDescription === 'string' && m.statusDescription !== '') problem.statusDescription = m.statusDescription;
    else if (refused) problem.statusDescription = `the device refused the desired deployment (${String(status.code)})`;
    if (typeof m?.exitCode === 'number') problem.exitCode = m.exitCode;
    notRunning.push(problem);
  }
  return {
    deviceId,
    connected: agentTwin?.connectionState === 'Connected',
    desiredVersion: num(desired.$version),
    reportedVersion: num(reported.lastDesiredVersion),
    statusCode: num(status.code),
    ...(typeof status.description === 'string' && status.description !== '' ? { statusDescription: status.description } : {}),
    modulesRunning: running,
    modulesTotal: names.length,
    notRunning,
  };
}

/** A deployment's line from a configuration as `getConfigurations` returns it. Pure. */
export function deploymentState(config: JsonObject): DeploymentState {
  const content = isObject(config.content) ? config.content : {};
  const modules = isObject(content.modulesContent) ? content.modulesContent : {};
  const agent = isObject(modules.$edgeAgent) ? modules.$edgeAgent : {};
  const metrics = isObject(config.systemMetrics) && isObject(config.systemMetrics.results) ? config.systemMetrics.results : {};
  return {
    id: String(config.id),
    priority: typeof config.priority === 'number' ? config.priority : 0,
    layered: !isObject(agent['properties.desired']),
    targetCondition: typeof config.targetCondition === 'string' ? config.targetCondition : '',
    targeted: num(metrics.targetedCount),
    applied: num(metrics.appliedCount),
    reportedSuccessful: num(metrics.reportedSuccessfulCount),
    reportedFailed: num(metrics.reportedFailedCount),
  };
}

/** Builds the view from device twins, `$edgeAgent` module twins and configurations. Pure. */
export function fleetView(deviceTwins: readonly JsonObject[], agentTwins: readonly JsonObject[], configurations: readonly JsonObject[]): FleetView {
  const agents = new Map(agentTwins.map((t) => [String(t.deviceId), t]));
  const devices = deviceTwins.map((d) => String(d.deviceId)).sort().map((id) => deviceState(id, agents.get(id)));
  const deployments = configurations
    .filter((c) => isObject(c.content) && isObject(c.content.modulesContent))
    .map(deploymentState)
    .sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { devices, deployments };
}

function columns(headers: readonly string[], rows: readonly string[][]): string {
  const table = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('   ').trimEnd() + '\n').join('');
}

function describeProblem(p: ModuleProblem): string {
  const why = [p.exitCode !== undefined && p.exitCode !== 0 ? `exit ${p.exitCode}` : '', p.statusDescription ?? ''].filter((s) => s !== '').join(', ');
  const desired = p.desiredStatus !== undefined && p.desiredStatus !== 'running' ? ` (desired ${p.desiredStatus})` : '';
  return `${p.module}: ${p.runtimeStatus}${desired}${why ? ` (${why})` : ''}`;
}

const show = (v: number | null): string => (v === null ? '-' : String(v));

/** Longest status description the table shows (`-o json` has it whole): a long one would push the module columns off the screen. */
export const STATUS_COLUMN_MAX = 40;

/** The STATUS cell: the code, and for a failure its description, cut to {@link STATUS_COLUMN_MAX} characters. */
function statusCell(d: DeviceState): string {
  if (d.statusCode === null) return '-';
  if (d.statusCode === 200 || d.statusDescription === undefined) return String(d.statusCode);
  const text = `${d.statusCode} ${d.statusDescription}`;
  return text.length > STATUS_COLUMN_MAX ? `${text.slice(0, STATUS_COLUMN_MAX - 1)}…` : text;
}

/** The table output: devices, then deployments. Pure. */
export function renderFleet(view: FleetView): string {
  const deviceRows = view.devices.map((d) => [
    d.deviceId,
    d.connected ? 'yes' : 'no',
    show(d.desiredVersion),
    show(d.reportedVersion),
    statusCell(d),
    `${d.modulesRunning}/${d.modulesTotal}`,
    d.notRunning.map(describeProblem).join('; '),
  ]);
  let out = view.devices.length === 0 ? 'No IoT Edge devices.\n' : columns(['DEVICE', 'CONNECTED', 'DESIRED', 'REPORTED', 'STATUS', 'RUNNING', 'NOT RUNNING'], deviceRows);
  out += '\n';
  if (view.deployments.length === 0) return out + 'No deployments.\n';
  const deploymentRows = view.deployments.map((c) => [c.id, String(c.priority), c.layered ? 'layered' : 'base', show(c.targeted), show(c.applied), show(c.reportedSuccessful), show(c.reportedFailed), c.targetCondition]);
  return out + columns(['DEPLOYMENT', 'PRIORITY', 'KIND', 'TARGETED', 'APPLIED', 'SUCCESSFUL', 'FAILED', 'TARGET CONDITION'], deploymentRows);
}

/** Page size the fleet view asks for. */
const PAGE_SIZE = 100;

/** Reads the fleet from IoT Hub. */
export class FleetReader {
  private readonly registry: Registry;
  private readonly host: string;

  constructor(
    connectionString: string,
    caPem: string | undefined,
    private readonly timeoutMs = 30_000,
    private readonly pageSize = PAGE_SIZE,
  ) {
    this.host = hubHostOf(connectionString, fleetError);
    try {
      this.registry = Registry.fromConnectionString(connectionString);
    } catch {
      throw new FleetError('--hub-connection-string is not a valid IoT Hub connection string');
    }
    if (caPem !== undefined) trustHubCa(this.registry, caPem);
  }

  /** All results of a twin query, page by page. */
  async query(sql: string): Promise<JsonObject[]> {
    const query = this.registry.createQuery(sql, this.pageSize);
    const results: JsonObject[] = [];
    while (query.hasMoreResults) {
      // The promise form of next() without an argument sends no continuation token (azure-iothub
      // 1.16 query.js reads the stored token only in the callback form), so pass it explicitly.
      const token = query.continuationToken;
      const page = await this.call(token ? query.next(token) : query.next());
      results.push(...(page.result as JsonObject[]));
    }
    return results;
  }

  /** Reads devices, agents and deployments; `where` restricts the devices. */
  async read(where: string | undefined): Promise<FleetView> {
    const condition = where !== undefined && where.trim() !== '' ? ` AND (${where})` : '';
    const [devices, agents, configurations] = await Promise.all([
      this.query(`SELECT * FROM devices WHERE capabilities.iotEdge = true${condition}`),
      this.query("SELECT * FROM devices.modules WHERE moduleId = '$edgeAgent'"),
      this.call(this.registry.getConfigurations()).then((r) => r.responseBody as unknown as JsonObject[]),
    ]);
    return fleetView(devices, agents, configurations);
  }

  private async call<T>(promise: Promise<T>): Promise<T> {
    try {
      return await withHubTimeout(promise, this.timeoutMs);
    } catch (e) {
      throw new FleetError(describeHubError(e, this.host, 'refused the request'));
    }
  }
}

function render(view: FleetView, output: FleetFlags['output']): string {
  return output === 'json' ? `${JSON.stringify(view, null, 2)}\n` : renderFleet(view);
}

/**
 * Runs `fleet`. Without `watch`: prints the view once; 0, or 1 with one `error:` line. With
 * `watch`: prints it again whenever it changed, every `interval` seconds, until `stop` resolves
 * (a failed refresh prints one line and the next refresh tries again; a failure of the first
 * read ends the command).
 */
export async function runFleet(flags: FleetFlags, io: FleetIo, stop: Promise<unknown> = new Promise(() => {}), isTTY = false): Promise<number> {
  let reader: FleetReader;
  let last: string;
  try {
    const caPem = flags.ca === undefined ? undefined : await readCaPem(flags.ca, fleetError);
    reader = new FleetReader(flags.hubConnectionString, caPem, flags.timeoutMs);
    last = render(await reader.read(flags.where), flags.output);
  } catch (e) {
    if (e instanceof FleetError) {
      io.stderr(`error: ${e.message}\n`);
      return 1;
    }
    io.stderr(`error: fleet failed unexpectedly: ${scrubSecrets(e instanceof Error ? e.message : String(e))}\n`);
    return 1;
  }
  const clear = isTTY ? '\u001b[H\u001b[2J' : '';
  const stamp = (): string => (flags.watch && !isTTY ? `--- ${new Date().toISOString()}\n` : '');
  io.stdout(clear + stamp() + last);
  if (!flags.watch) return 0;
  let stopped = false;
  void stop.then(() => (stopped = true));
  const intervalMs = Math.max(0.1, flags.interval ?? 5) * 1000;
  while (!stopped) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([stop, new Promise((resolve) => (timer = setTimeout(resolve, intervalMs)))]);
    clearTimeout(timer);
    if (stopped) break;
    try {
      const text = render(await reader.read(flags.where), flags.output);
      if (text !== last) io.stdout(clear + stamp() + text);
      last = text;
    } catch (e) {
      io.stderr(`error: ${e instanceof FleetError ? e.message : scrubSecrets(String(e))} (retrying)\n`);
    }
  }
  return 0;
}
