/**
 * Background tasks of the upload methods (UploadModuleLogs, UploadSupportBundle) and their
 * status for GetTaskStatus, as edgeAgent's `BackgroundTask` and `TaskStatusResponse` keep them
 * (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/requests/
 * TaskStatusResponse.cs, edge-util/src/Microsoft.Azure.Devices.Edge.Util/BackgroundTask.cs): each
 * task gets a random UUID correlationId and is `Running` from the start (BackgroundTask.Run
 * creates it so and answers with that status; edgeAgent never reports `NotStarted`), then
 * `Completed`, `Failed` (message `Task <operation> failed because of error <reason>`) or
 * `Cancelled` (its time ran out). An unknown correlationId is `Unknown`.
 */
import { randomUUID } from 'node:crypto';

/** Status values of GetTaskStatus (edgeAgent's BackgroundTaskRunStatus). */
export type TaskStatus = 'NotStarted' | 'Running' | 'Completed' | 'Cancelled' | 'Failed' | 'Unknown';

/** The payload of an upload method's answer and of GetTaskStatus. */
export interface TaskStatusResponse {
  status: TaskStatus;
  message: string;
  correlationId: string;
}

/** Longest run of one task before it is cancelled (edgeAgent's supportTaskTimeout default). */
export const DEFAULT_TASK_TIMEOUT_MS = 10 * 60_000;

/** How many finished tasks are remembered for GetTaskStatus. */
export const KEPT_TASKS = 200;

interface TaskState {
  operation: string;
  status: TaskStatus;
  message: string;
}

export interface TaskRunnerOptions {
  /** @default DEFAULT_TASK_TIMEOUT_MS */
  timeoutMs?: number;
  /** Called when a task fails or is cancelled (for the log); the message has no secrets. */
  onFinished?: (correlationId: string, state: Readonly<TaskState>) => void;
}

/** Runs tasks in the background and answers their status. */
export class TaskRunner {
  private readonly tasks = new Map<string, TaskState>();
  private readonly running = new Set<Promise<void>>();
  private readonly timeoutMs: number;

  constructor(private readonly options: TaskRunnerOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TASK_TIMEOUT_MS;
  }

  /**
   * Starts `work` on the next turn of the event loop and returns its status at once
   * (`Running`, as edgeAgent's BackgroundTask.Run answers). `work` gets an AbortSignal that
   * fires when the task's time is up.
   */
  start(operation: string, work: (signal: AbortSignal) => Promise<void>): TaskStatusResponse {
    const correlationId = randomUUID();
    const state: TaskState = { operation, status: 'Running', message: '' };
    this.tasks.set(correlationId, state);
    this.forgetOld();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    const run = (async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      try {
        // The time may be up before the work's turn comes (a stalled event loop): the work is
        // not started with a signal that already fired, whose 'abort' event it would never see.
        if (controller.signal.aborted) throw controller.signal.reason;
        await work(controller.signal);
        if (controller.signal.aborted) throw controller.signal.reason;
        state.status = 'Completed';
      } catch (e) {
        if (controller.signal.aborted) {
          state.status = 'Cancelled';
          state.message = `Task ${operation} was cancelled: ${reasonOf(controller.signal.reason)}`;
        } else {
          state.status = 'Failed';
          state.message = `Task ${operation} failed because of error ${reasonOf(e)}`;
        }
        this.options.onFinished?.(correlationId, state);
      } finally {
        clearTimeout(timer);
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return { status: state.status, message: state.message, correlationId };
  }

  /** The status of a task; `Unknown` (empty message) for an id never given out or long forgotten. */
  status(correlationId: string): TaskStatusResponse {
    const state = this.tasks.get(correlationId);
    return state ? { status: state.status, message: state.message, correlationId } : { status: 'Unknown', message: '', correlationId };
  }

  /** Resolves when every task started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private forgetOld(): void {
    for (const [id, state] of this.tasks) {
      if (this.tasks.size <= KEPT_TASKS) break;
      if (state.status !== 'Running') this.tasks.delete(id);
    }
  }
}

/** One line, without SAS signatures. */
function reasonOf(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return redactSas(text.split('\n')[0] ?? '');
}

/** Removes SAS signatures (`sig=...`) and whole query strings of URLs from a text. */
export function redactSas(text: string): string {
  return text.replace(/(https?:\/\/[^\s?"']+)\?[^\s"']*/g, '$1?[redacted]').replace(/\bsig=[^&\s"']+/gi, 'sig=[redacted]');
}
