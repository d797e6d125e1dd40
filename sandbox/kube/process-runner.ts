/**
 * One container as a real child process: spawned in its own process group, stdout and stderr
 * split into log lines, exit code (128 + signal number when killed), graceful stop (SIGTERM to the
 * main process, as a container runtime signals PID 1, then SIGKILL to the whole group after the
 * grace period). When the main process ends, what is left of its group is killed, as a container's
 * processes end with its PID 1. Every live process is killed when this Node process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

/** What to run. */
export interface ProcessSpec {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

const MAX_LINE = 16 * 1024;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
}

/** A running (or finished) container process. */
export class ContainerProcess {
  private readonly child: ChildProcess;
  private exited = false;
  private killTimer: NodeJS.Timeout | undefined;
  /** Resolves with the exit code once the process has exited. */
  readonly done: Promise<number>;

  /**
   * Spawns `spec`; `onLine` gets every output line (stdout and stderr interleaved as they come),
   * `onExit` the exit code once, after the last line. A command that cannot start exits with 128.
   */
  constructor(spec: ProcessSpec, onLine: (text: string) => void, onExit: (code: number) => void) {
    installExitHook();
    const [file, ...args] = spec.argv;
    this.child = spawn(file ?? '', args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    live.add(this.child);
    const buffers = { stdout: '', stderr: '' };
    const feed = (stream: 'stdout' | 'stderr', chunk: string) => {
      let text = buffers[stream] + chunk;
      let nl: number;
      while ((nl = text.indexOf('\n')) >= 0) {
        onLine(text.slice(0, nl).replace(/\r$/, ''));
        text = text.slice(nl + 1);
      }
      while (text.length > MAX_LINE) {
        onLine(text.slice(0, MAX_LINE));
        text = text.slice(MAX_LINE);
      }
      buffers[stream] = text;
    };
    this.child.stdout?.setEncoding('utf8').on('data', (c: string) => feed('stdout', c));
    this.child.stderr?.setEncoding('utf8').on('data', (c: string) => feed('stderr', c));
    this.done = new Promise<number>((resolve) => {
      const finish = (code: number) => {
        if (this.exited) return;
        this.exited = true;
        live.delete(this.child);
        clearTimeout(this.killTimer);
        for (const stream of ['stdout', 'stderr'] as const) if (buffers[stream] !== '') onLine(buffers[stream]);
        onExit(code);
        resolve(code);
      };
      this.child.once('error', (error: NodeJS.ErrnoException) => {
        onLine(`failed to start ${file ?? ''}: ${error.code ?? error.message}`);
        finish(128);
      });
      // Like a container, the group does not outlive its main process.
      this.child.once('exit', () => killGroup(this.child, 'SIGKILL'));
      // 'close' waits for the output streams, so every line is in before the exit is reported.
      this.child.once('close', (code, signal) => finish(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
    });
  }

  /** The process id (undefined when it could not start). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return !this.exited;
  }

  /** SIGTERM to the main process, SIGKILL to the group after `graceMs` if it still runs; resolves on exit. */
  stop(graceMs: number): Promise<number> {
    if (!this.exited) {
      try {
        this.child.kill('SIGTERM');
      } catch {
        // Already gone.
      }
      clearTimeout(this.killTimer);
      this.killTimer = setTimeout(() => killGroup(this.child, 'SIGKILL'), Math.max(0, graceMs));
    }
    return this.done;
  }

  /** SIGKILL to the process group, synchronously. */
  kill(): void {
    if (!this.exited) killGroup(this.child, 'SIGKILL');
  }
}
