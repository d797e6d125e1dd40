/**
 * The bridge as its own process, the way the benches measure it (bench/rss.ts, bench/bridge.ts
 * section 5): `node <entry> run` against the emulators with the `$edgeAgent` connection string,
 * its memory read from /proc/<pid>/status, and the reported-properties check of "version V is
 * applied and its N modules run".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- twins are free-form JSON here
type Json = any;

export interface BridgeProcessOptions {
  /** Node arguments before `run`: the entry point (`bin/iotedge-k8s.js`, `dist/.../entry.js`, or `--import tsx ...entry.ts`). */
  entry: readonly string[];
  kubeconfig: string;
  connectionString: string;
  ca: string;
  namespace: string;
  /** Working directory (the repository root). */
  cwd: string;
  /** The ops server's port. @default 0 (a free one) */
  opsPort?: number;
  /** @default 'warn' */
  logLevel?: string;
  /** Node options before the entry point (e.g. `--cpu-prof`). */
  nodeArgs?: readonly string[];
  /** Everything the process writes to stderr, as it comes. */
  onStderr?: (chunk: Buffer) => void;
}

export interface BridgeProcess {
  child: ChildProcess;
  pid: number;
  /** The last 2000 characters the process wrote to stderr. */
  stderrTail(): string;
  /** A `Vm*` line of its /proc/<pid>/status, in KiB. */
  statusKiB(field: 'VmRSS' | 'VmHWM'): number;
  /** VmRSS sampled `count` times `everyMs` apart, in KiB. */
  rssSamples(count?: number, everyMs?: number): Promise<number[]>;
  /** SIGTERM, then SIGKILL after 10 s; resolves once it exited. */
  stop(): Promise<void>;
}

/** Spawns the bridge (`run --connection-string`, ops server on loopback, a free port and log level warn unless given). */
export function spawnBridge(o: BridgeProcessOptions): BridgeProcess {
  const args = [...(o.nodeArgs ?? []), ...o.entry, 'run', '--kubeconfig', o.kubeconfig, '--connection-string', o.connectionString, '--ca', o.ca];
  args.push('--namespace', o.namespace, '--ops-port', String(o.opsPort ?? 0), '--ops-host', '127.0.0.1', '--log-level', o.logLevel ?? 'warn');
  const child = spawn(process.execPath, args, { cwd: o.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-2000);
    o.onStderr?.(d);
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the bridge process');
  const status = (field: string) => statusKiB(pid, field);
  return {
    child,
    pid,
    stderrTail: () => tail.trim(),
    statusKiB: status,
    rssSamples: (count, everyMs) => rssSamples(pid, count, everyMs),
    stop: () => stopProcess(child),
  };
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the process exited (at once if it has). */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** `count` samples of a process's VmRSS (KiB), `everyMs` apart, the first after `everyMs`. */
export async function rssSamples(pid: number, count = 5, everyMs = 1000): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    await new Promise((r) => setTimeout(r, everyMs));
    out.push(statusKiB(pid, 'VmRSS'));
  }
  return out;
}

/** A line of /proc/<pid>/status: a size in KiB (`VmRSS`, `RssAnon`...), or a count (`Threads`). */
export function statusKiB(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)( kB)?$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]);
}

/** True when `reported` says `version` applied (200) with exactly `modules` modules, all running. */
export function runsVersion(reported: Json, version: number, modules: number): boolean {
  if (reported?.lastDesiredVersion !== version || reported.lastDesiredStatus?.code !== 200) return false;
  const entries = Object.values(reported.modules ?? {}) as Json[];
  return entries.length === modules && entries.every((m) => m.runtimeStatus === 'running');
}
