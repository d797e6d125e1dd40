/**
 * Scheduler and kubelet of the one simulated node: binds pods, "pulls" images,
 * runs containers as the image catalog says (run, exit, crash, pull failure, or a
 * real process: see process-container.ts), restarts them per restartPolicy with
 * CrashLoopBackOff, keeps their log lines, reports pod status and records the
 * kubelet's events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageCatalog, ProcessImage } from '../catalog.js';
import { PodAddresses } from '../loopback.js';
import { ContainerConfigError } from '../pod-env.js';
import { VolumeError } from '../pod-volumes.js';
import { processContext, processSpec } from '../process-container.js';
import { ContainerProcess, type ProcessSpec } from '../process-runner.js';
import { probeOnce, probeTiming } from '../probes.js';
import { badRequest, KubeApiError } from '../errors.js';
import { findType } from '../resources.js';
import type { StoreEvent } from '../store.js';
import { isObject, type JsonObject, type KubeObject } from '../types.js';
import type { ControllerContext } from './runtime.js';

const PODS = findType('', 'pods')!;

/** The simulated node's name and address. */
export const NODE_NAME = 'sandbox-node';
export const NODE_IP = '10.0.0.10';

const PULL_MS = 500;
/** How long stopping the containers of a deleted pod takes. */
const STOP_MS = 1000;
/** Real milliseconds a deleted pod's stop waits at most for the workload controllers to be idle. */
const KILL_MAX_DELAY_MS = 1000;
const BACKOFF_START_MS = 10_000;
/** How long a process container that cannot be configured (missing Secret, unbound claim) waits before the next try. */
const CONFIG_RETRY_MS = 2_000;
/** Grace period (real time) of the processes of a pod removed without graceful deletion. */
const FORGET_GRACE_MS = 2_000;
const BACKOFF_MAX_MS = 300_000;

/** One log line of a container instance. */
export interface LogLine {
  time: Date;
  text: string;
}

interface ContainerRun {
  name: string;
  image: string;
  state: 'waiting' | 'running' | 'terminated';
  waitingReason: string;
  waitingMessage?: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  lastTerminated?: JsonObject;
  restartCount: number;
  pullFailures: number;
  containerID?: string;
  logs: LogLine[];
  previousLogs?: LogLine[];
  timers: Set<NodeJS.Timeout>;
  ever: boolean;
  /** The container's spec in the pod. */
  spec: JsonObject;
  /** The running process of a process image. */
  proc?: ContainerProcess;
  /** An image pull is under way: it counts in the controllers' backlog until it ends or is cancelled (see pull). */
  pulling?: boolean;
  /** Readiness from the readinessProbe (undefined: no probe, ready while running). */
  probeReady?: boolean;
}

interface PodRun {
  uid: string;
  namespace: string;
  name: string;
  restartPolicy: string;
  podIP: string;
  startTime: string;
  containers: ContainerRun[];
  followers: Set<(container: string, line: LogLine | null) => void>;
  done: boolean;
  killing: boolean;
  /** Volume name -> directory, once set up for a process container. */
  volumes?: Map<string, string>;
  /** While the pod's start-up runs: its status is reported once, after it (see schedule). */
  holdReports?: boolean;
}

/** Options of the kubelet. */
export interface KubeletOptions {
  /** Directory for pod volumes, container roots and the node's filesystem. @default a temporary directory removed at stop */
  dir?: string;
  /** File the Service proxy keeps the Service names in (handed to processes as SANDBOX_HOSTS_FILE). */
  hostsFile?: string;
  /** The loopback network slot whose pod IPs to hand out (loopback.ts). @default 0 */
  networkSlot?: number;
}

/** Options of a pods/log read. */
export interface LogOptions {
  container?: string;
  previous?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps?: boolean;
  limitBytes?: number;
}

function stamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3339 with nanoseconds, as the kubelet prefixes `timestamps=true` lines. */
function nanoStamp(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** The simulated kubelet; `stop()` clears every timer. */
export class Kubelet {
  private readonly pods = new Map<string, PodRun>();
  private readonly addresses: PodAddresses;
  private readonly unsubscribe: () => void;
  private readonly pulled = new Set<string>();
  /** Uids of pods waiting for the scheduler's turn: each counts in the controllers' backlog until it comes. */
  private readonly unscheduled = new Set<string>();
  private stopped = false;
  private dir: string | undefined;
  private readonly ownsDir: boolean;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly catalog: ImageCatalog,
    private readonly options: KubeletOptions = {},
  ) {
    this.unsubscribe = ctx.api.store.subscribe((event) => this.onEvent(event));
    this.dir = options.dir;
    this.ownsDir = options.dir === undefined;
    this.addresses = new PodAddresses(options.networkSlot ?? 0);
  }

  /** Stops every container timer and the subscription, and kills every process (SIGKILL). */
  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const pod of this.pods.values()) this.forget(pod, 0);
    for (const uid of [...this.unscheduled]) this.scheduled(uid);
    if (this.ownsDir && this.dir) rmSync(this.dir, { recursive: true, force: true });
    else if (this.dir) rmSync(join(this.dir, 'pods'), { recursive: true, force: true });
  }

  /** The kubelet directory (created on first use). */
  private kubeletDir(): string {
    this.dir ??= mkdtempSync(join(tmpdir(), 'iotedge-k8s-kubelet-'));
    return this.dir;
  }

  private onEvent(event: StoreEvent): void {
    if (event.resource !== PODS) return;
    const pod = event.object;
    const uid = pod.metadata.uid ?? '';
    if (event.type === 'DELETED') {
      const run = this.pods.get(uid);
      if (run) this.forget(run);
      return;
    }
    if (pod.metadata.deletionTimestamp && (pod.metadata.finalizers ?? []).length === 0) {
      // Nothing waits for a deleted pod's containers to stop (its ReplicaSet no longer counts it):
      // the stop waits until the workload controllers are idle, so that it does not hold back a
      // rollout's next steps (a real kubelet runs beside the controllers, not in their loop).
      this.ctx.backlog.afterIdle(() => {
        if (this.stopped) return;
        try {
          this.kill(pod);
        } catch {
          // As for every simulated step: the next event retries.
        }
      }, KILL_MAX_DELAY_MS);
      return;
    }
    if (!pod.spec?.nodeName && !this.pods.has(uid) && !this.unscheduled.has(uid)) {
      // Binding a new pod is a step of a rollout in flight: until the scheduler's turn comes, the
      // work that waits for idle controllers does not run in between (see pull).
      this.unscheduled.add(uid);
      this.ctx.backlog.enter();
      const timer = this.ctx.timers.after(0, () => {
        try {
          this.schedule(pod.metadata.namespace ?? '', pod.metadata.name ?? '', uid);
        } finally {
          this.scheduled(uid);
        }
      });
      if (!timer) this.scheduled(uid); // stopped
    }
  }

  /** Graceful deletion: stops the containers (Killing), then removes the pod. */
  private kill(pod: KubeObject): void {
    const run = this.pods.get(pod.metadata.uid ?? '');
    if (!run) {
      this.ctx.api.forceRemove(PODS, pod);
      return;
    }
    if (run.done || run.killing) return;
    run.killing = true;
    const graceSeconds = Number(pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
    const exits: Promise<unknown>[] = [];
    for (const c of run.containers) {
      this.cancelWork(c);
      if (c.proc) {
        this.event(run, c, 'Normal', 'Killing', `Stopping container ${c.name}`);
        exits.push(
          c.proc.stop(graceSeconds * 1000).then((code) => {
            c.state = 'terminated';
            c.exitCode = code;
            c.finishedAt = stamp();
            c.proc = undefined;
          }),
        );
      } else if (c.state === 'running') {
        this.event(run, c, 'Normal', 'Killing', `Stopping container ${c.name}`);
        c.state = 'terminated';
        c.exitCode = 0;
        c.finishedAt = stamp();
      } else if (c.state === 'waiting') c.waitingReason = 'ContainerCreating';
    }
    this.report(run);
    if (exits.length > 0) {
      void Promise.all(exits).then(() => {
        if (run.done) return;
        this.report(run);
        this.forget(run);
        const latest = this.ctx.api.tryGet(PODS, run.namespace, run.name);
        if (latest && latest.metadata.uid === run.uid) this.ctx.api.forceRemove(PODS, latest);
      });
      return;
    }
    const timer = this.ctx.timers.after(STOP_MS, () => {
      this.forget(run);
      this.ctx.api.forceRemove(PODS, pod);
    });
    if (timer) run.containers[0]?.timers.add(timer);
  }

  /** Drops a pod: timers, followers, its IP; its processes get `graceMs` after SIGTERM (0: SIGKILL now). */
  private forget(run: PodRun, graceMs = FORGET_GRACE_MS): void {
    if (run.done && !this.pods.has(run.uid)) return;
    run.done = true;
    for (const c of run.containers) this.cancelWork(c);
    for (const follower of run.followers) for (const c of run.containers) follower(c.name, null);
    run.followers.clear();
    this.pods.delete(run.uid);
    const exits: Promise<unknown>[] = [];
    for (const c of run.containers) {
      if (!c.proc) continue;
      if (graceMs === 0) c.proc.kill();
      else exits.push(c.proc.stop(graceMs));
    }
    const cleanUp = () => {
      this.addresses.release(run.podIP);
      if (this.dir && graceMs !== 0) rmSync(this.podDir(run), { recursive: true, force: true });
    };
    if (exits.length > 0) void Promise.all(exits).then(cleanUp);
    else cleanUp();
  }

  private podDir(run: PodRun): string {
    return join(this.kubeletDir(), 'pods', run.uid);
  }

  private schedule(namespace: string, name: string, uid: string): void {
    const stored = this.ctx.api.tryPeek(PODS, namespace, name);
    if (!stored || stored.metadata.uid !== uid || this.pods.has(uid) || stored.metadata.deletionTimestamp) return;
    const spec: JsonObject = { ...(stored.spec ?? {}), nodeName: NODE_NAME };
    const pod: KubeObject = { ...stored, spec };
    try {
      this.ctx.api.update(PODS, namespace, name, pod, { spread: true, shared: true, trusted: true, fieldManager: 'kube-scheduler' });
    } catch {
      return;
    }
    this.ctx.recorder.record(PODS, pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${NODE_NAME}`, 'default-scheduler');
    const containers = (Array.isArray(spec.containers) ? spec.containers : []) as JsonObject[];
    const run: PodRun = {
      uid,
      namespace,
      name,
      restartPolicy: String(spec.restartPolicy ?? 'Always'),
      podIP: this.addresses.allocate(),
      startTime: stamp(),
      containers: containers.map((c) => ({
        name: String(c.name),
        image: String(c.image),
        state: 'waiting',
        waitingReason: 'ContainerCreating',
        restartCount: 0,
        pullFailures: 0,
        logs: [],
        timers: new Set(),
        ever: false,
        spec: c,
      })),
      followers: new Set(),
      done: false,
      killing: false,
    };
    this.pods.set(uid, run);
    // What the start-up does at once (an image already present is started in the same turn) goes
    // out in one status write, as the real kubelet's status manager writes the latest status it
    // has rather than every step (an image being pulled still shows ContainerCreating first).
    run.holdReports = true;
    try {
      for (const c of run.containers) this.pull(run, c, String(containers.find((x) => x.name === c.name)?.imagePullPolicy ?? 'IfNotPresent'));
    } finally {
      run.holdReports = false;
    }
    this.report(run);
  }

  private after(c: ContainerRun, ms: number, fn: () => void): void {
    const timer = this.ctx.timers.after(ms, () => {
      if (timer) c.timers.delete(timer);
      fn();
    });
    if (timer) c.timers.add(timer);
  }

  private event(run: PodRun, c: ContainerRun | undefined, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const pod = this.ctx.api.tryPeek(PODS, run.namespace, run.name);
    if (!pod) return;
    this.ctx.recorder.record(PODS, pod, type, reason, message, 'kubelet', c ? `spec.containers{${c.name}}` : undefined);
  }

  private pull(run: PodRun, c: ContainerRun, policy: string): void {
    const behaviour = this.catalog.behaviourOf(c.image);
    if (behaviour.kind !== 'pull-fail' && policy !== 'Always' && this.pulled.has(c.image)) {
      this.event(run, c, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`);
      this.start(run, c);
      return;
    }
    this.event(run, c, 'Normal', 'Pulling', `Pulling image "${c.image}"`);
    // A pull is a step of a rollout in flight (its pod's start waits for it): until it ends, the
    // work that waits for the controllers to be idle (the follow-ups of finished rollouts, old
    // pods' stops, Events) does not take the event loop from the starts that come after it.
    if (!c.pulling) {
      c.pulling = true;
      this.ctx.backlog.enter();
    }
    this.after(c, PULL_MS, () => {
      try {
        this.pullDone(run, c, behaviour, policy);
      } finally {
        this.pullEnded(c); // after the start (or the failure) it led to
      }
    });
  }

  /** A pull's end: the image fails (back-off, then a new pull) or is present and the container starts. */
  private pullDone(run: PodRun, c: ContainerRun, behaviour: ReturnType<ImageCatalog['behaviourOf']>, policy: string): void {
    if (run.done) return;
    if (behaviour.kind === 'pull-fail') {
      c.pullFailures++;
      c.state = 'waiting';
      c.waitingReason = 'ErrImagePull';
      c.waitingMessage = `failed to pull and unpack image "${c.image}": not found`;
      this.event(run, c, 'Warning', 'Failed', `Failed to pull image "${c.image}": rpc error: code = NotFound desc = ${c.waitingMessage}`);
      this.event(run, c, 'Warning', 'Failed', 'Error: ErrImagePull');
      this.report(run);
      const delay = Math.min(BACKOFF_START_MS * 2 ** (c.pullFailures - 1), BACKOFF_MAX_MS);
      this.after(c, Math.min(1000, delay), () => {
        if (run.done) return;
        c.waitingReason = 'ImagePullBackOff';
        c.waitingMessage = `Back-off pulling image "${c.image}"`;
        this.event(run, c, 'Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
        this.event(run, c, 'Warning', 'Failed', 'Error: ImagePullBackOff');
        this.report(run);
      });
      this.after(c, delay, () => !run.done && this.pull(run, c, policy));
      return;
    }
    this.pulled.add(c.image);
    this.event(run, c, 'Normal', 'Pulled', `Successfully pulled image "${c.image}" in ${PULL_MS}ms (${PULL_MS}ms including waiting). Image size: 0 bytes.`);
    this.start(run, c);
  }

  /** The scheduler's turn for pod `uid` came (or never will): it no longer counts in the backlog. */
  private scheduled(uid: string): void {
    if (this.unscheduled.delete(uid)) this.ctx.backlog.leave();
  }

  /** Cancels the container's timers; a pull under way ends with them. */
  private cancelWork(c: ContainerRun): void {
    for (const t of c.timers) this.ctx.timers.cancel(t);
    c.timers.clear();
    this.pullEnded(c);
  }

  /** The container's pull ended (or its timer was cancelled): it no longer counts in the backlog. */
  private pullEnded(c: ContainerRun): void {
    if (!c.pulling) return;
    c.pulling = false;
    this.ctx.backlog.leave();
  }

  private log(run: PodRun, c: ContainerRun, text: string): void {
    const line = { time: new Date(), text };
    c.logs.push(line);
    if (c.logs.length > 10_000) c.logs.splice(0, c.logs.length - 10_000);
    for (const follower of run.followers) follower(c.name, line);
  }

  private start(run: PodRun, c: ContainerRun): void {
    if (run.done) return;
    const image = this.catalog.behaviourOf(c.image);
    if (image.kind === 'process') {
      this.startProcess(run, c, image);
      return;
    }
    c.containerID = `containerd://${run.uid.replace(/-/g, '')}${c.name.length}${c.restartCount}`.slice(0, 77);
    this.event(run, c, 'Normal', 'Created', `Created container: ${c.name}`);
    this.event(run, c, 'Normal', 'Started', `Started container ${c.name}`);
    c.state = 'running';
    c.ever = true;
    c.startedAt = stamp();
    c.waitingMessage = undefined;
    const behaviour = this.catalog.behaviourOf(c.image);
    switch (behaviour.kind) {
      case 'run': {
        const lines = behaviour.lines && behaviour.lines.length > 0 ? behaviour.lines : [`${c.image} started`];
        this.log(run, c, lines[0]!);
        if (behaviour.logEvery && behaviour.logEvery > 0) {
          let n = 1;
          const tick = () => {
            if (run.done || c.state !== 'running') return;
            this.log(run, c, lines[n % lines.length]!);
            n++;
            this.after(c, behaviour.logEvery!, tick);
          };
          this.after(c, behaviour.logEvery, tick);
        }
        break;
      }
      case 'exit':
      case 'crash':
        this.log(run, c, `${c.image} started`);
        this.after(c, behaviour.afterMs, () => {
          this.log(run, c, behaviour.kind === 'crash' ? `${c.image} crashed with exit code ${behaviour.code}` : `${c.image} exiting with code ${behaviour.code}`);
          this.terminate(run, c, behaviour.code);
        });
        break;
      case 'pull-fail':
      case 'process':
        break;
    }
    this.report(run);
  }

  /** Starts a process container: volumes, root, env, then the process; a configuration error waits and retries. */
  private startProcess(run: PodRun, c: ContainerRun, image: ProcessImage): void {
    if (run.done || run.killing) return;
    const pod = this.ctx.api.tryGet(PODS, run.namespace, run.name);
    if (!pod || pod.metadata.uid !== run.uid) return;
    const pctx = processContext({
      api: this.ctx.api,
      pod,
      podIP: run.podIP,
      hostIP: NODE_IP,
      podDir: this.podDir(run),
      hostRoot: join(this.kubeletDir(), 'host'),
      hostsFile: this.options.hostsFile,
    });
    let spec;
    try {
      run.volumes ??= pctx.volumes();
      spec = processSpec(pctx, c.spec, image, run.volumes);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      c.state = 'waiting';
      if (error instanceof VolumeError) {
        c.waitingReason = 'ContainerCreating';
        c.waitingMessage = undefined;
        this.event(run, undefined, 'Warning', 'FailedMount', message);
      } else {
        c.waitingReason = error instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'RunContainerError';
        c.waitingMessage = message;
        this.event(run, c, 'Warning', 'Failed', `Error: ${message}`);
      }
      this.report(run);
      this.after(c, CONFIG_RETRY_MS, () => this.startProcess(run, c, image));
      return;
    }
    this.event(run, c, 'Normal', 'Created', `Created container: ${c.name}`);
    const proc = new ContainerProcess(
      spec,
      (line) => this.log(run, c, line),
      (code) => {
        if (c.proc !== proc) return;
        if (run.done || run.killing) return;
        c.proc = undefined;
        this.terminate(run, c, code);
      },
    );
    c.proc = proc;
    c.probeReady = isObject(c.spec.readinessProbe) ? false : undefined;
    if (isObject(c.spec.readinessProbe)) this.startReadinessProbe(run, c, proc, c.spec.readinessProbe, spec);
    c.containerID = `containerd://${run.uid.replace(/-/g, '')}${c.name.length}${c.restartCount}`.slice(0, 77);
    this.event(run, c, 'Normal', 'Started', `Started container ${c.name}`);
    c.state = 'running';
    c.ever = true;
    c.startedAt = stamp();
    c.waitingMessage = undefined;
    this.report(run);
  }

  private terminate(run: PodRun, c: ContainerRun, code: number): void {
    if (run.done) return;
    c.state = 'terminated';
    c.exitCode = code;
    c.finishedAt = stamp();
    const restart = run.restartPolicy === 'Always' || (run.restartPolicy === 'OnFailure' && code !== 0);
    for (const follower of run.followers) follower(c.name, null);
    if (!restart) {
      this.report(run);
      return;
    }
    const terminated = {
      exitCode: code,
      reason: code === 0 ? 'Completed' : 'Error',
      startedAt: c.startedAt,
      finishedAt: c.finishedAt,
      containerID: c.containerID,
    };
    const delay = c.restartCount === 0 ? 0 : Math.min(BACKOFF_START_MS * 2 ** (c.restartCount - 1), BACKOFF_MAX_MS);
    c.lastTerminated = { terminated };
    if (delay > 0) {
      c.state = 'waiting';
      c.waitingReason = 'CrashLoopBackOff';
      c.waitingMessage = `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.name} pod=${run.name}_${run.namespace}(${run.uid})`;
      this.event(run, c, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${run.name}_${run.namespace}(${run.uid})`);
    }
    this.report(run);
    this.after(c, delay, () => {
      if (run.done) return;
      c.previousLogs = c.logs;
      c.logs = [];
      c.restartCount++;
      this.event(run, c, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`);
      this.start(run, c);
    });
  }

  /** Runs the readiness probe while `proc` runs; readiness changes are reported. */
  private startReadinessProbe(run: PodRun, c: ContainerRun, proc: ContainerProcess, probe: JsonObject, spec: ProcessSpec): void {
    const timing = probeTiming(probe);
    let successes = 0;
    let failures = 0;
    const attempt = (): void => {
      if (run.done || run.killing || c.proc !== proc) return;
      void probeOnce(probe, c.spec, run.podIP, spec, timing.timeoutMs).then((ok) => {
        if (run.done || run.killing || c.proc !== proc) return;
        if (ok) {
          failures = 0;
          successes++;
          if (!c.probeReady && successes >= timing.successThreshold) {
            c.probeReady = true;
            this.report(run);
          }
        } else {
          successes = 0;
          failures++;
          if (failures === 1 || failures % 10 === 0) this.event(run, c, 'Warning', 'Unhealthy', 'Readiness probe failed');
          if (c.probeReady && failures >= timing.failureThreshold) {
            c.probeReady = false;
            this.report(run);
          }
        }
        this.after(c, timing.periodMs, attempt);
      });
    };
    this.after(c, timing.initialDelayMs, attempt);
  }

  private isReady(c: ContainerRun): boolean {
    return c.state === 'running' && c.probeReady !== false;
  }

  private containerStatus(c: ContainerRun): JsonObject {
    let state: JsonObject;
    if (c.state === 'running') state = { running: { startedAt: c.startedAt } };
    else if (c.state === 'terminated') {
      state = {
        terminated: {
          exitCode: c.exitCode,
          reason: c.exitCode === 0 ? 'Completed' : 'Error',
          startedAt: c.startedAt,
          finishedAt: c.finishedAt,
          containerID: c.containerID,
        },
      };
    } else state = { waiting: c.waitingMessage ? { reason: c.waitingReason, message: c.waitingMessage } : { reason: c.waitingReason } };
    const status: JsonObject = {
      name: c.name,
      state,
      lastState: c.lastTerminated ?? {},
      ready: this.isReady(c),
      restartCount: c.restartCount,
      image: c.image,
      imageID: c.ever ? `docker.io/library/${c.image}@sha256:${'0'.repeat(64)}` : '',
      started: c.state === 'running',
    };
    if (c.containerID) status.containerID = c.containerID;
    return status;
  }

  private phase(run: PodRun): string {
    const cs = run.containers;
    if (cs.length > 0 && cs.every((c) => c.state === 'terminated')) {
      return cs.every((c) => c.exitCode === 0) ? 'Succeeded' : 'Failed';
    }
    return cs.some((c) => c.ever) ? 'Running' : 'Pending';
  }

  private report(run: PodRun): void {
    if (run.done || run.holdReports) return;
    const pod = this.ctx.api.tryPeek(PODS, run.namespace, run.name);
    if (!pod || pod.metadata.uid !== run.uid) {
      this.forget(run);
      return;
    }
    const phase = this.phase(run);
    const allReady = run.containers.every((c) => this.isReady(c));
    const notReady = run.containers.filter((c) => !this.isReady(c)).map((c) => c.name);
    const previous = Array.isArray(pod.status?.conditions) ? (pod.status.conditions as JsonObject[]) : [];
    const condition = (type: string, ok: boolean, reason?: string): JsonObject => {
      const before = previous.find((p) => p.type === type);
      const status = ok ? 'True' : 'False';
      const out: JsonObject = {
        type,
        status,
        // lastProbeTime is null on a real cluster's conditions; the API drops nulls (the stored value has none).
        lastTransitionTime: before && before.status === status ? before.lastTransitionTime : stamp(),
      };
      if (!ok && reason) {
        out.reason = reason;
        out.message = `containers with unready status: [${notReady.join(' ')}]`;
      }
      if (!ok && phase === 'Succeeded') out.reason = 'PodCompleted';
      return out;
    };
    const finished = phase === 'Succeeded' || phase === 'Failed';
    const status: JsonObject = {
      phase,
      conditions: [
        condition('PodReadyToStartContainers', !finished),
        condition('Initialized', true),
        condition('Ready', allReady && !finished, 'ContainersNotReady'),
        condition('ContainersReady', allReady && !finished, 'ContainersNotReady'),
        condition('PodScheduled', true),
      ],
      hostIP: NODE_IP,
      hostIPs: [{ ip: NODE_IP }],
      podIP: run.podIP,
      podIPs: [{ ip: run.podIP }],
      startTime: run.startTime,
      containerStatuses: run.containers.map((c) => this.containerStatus(c)),
      qosClass: pod.status?.qosClass ?? 'BestEffort',
    };
    try {
      this.ctx.api.update(PODS, run.namespace, run.name, { ...pod, status }, { spread: true, shared: true, trusted: true, subresource: 'status', fieldManager: 'kubelet' });
    } catch (error) {
      if (error instanceof KubeApiError && error.code === 404) this.forget(run);
      else throw error;
    }
    if (finished) for (const c of run.containers) this.cancelWork(c);
  }

  private containerFor(pod: KubeObject, container: string | undefined): { run: PodRun; c: ContainerRun } {
    const name = pod.metadata.name ?? '';
    const run = this.pods.get(pod.metadata.uid ?? '');
    const names = (Array.isArray(pod.spec?.containers) ? (pod.spec.containers as JsonObject[]) : []).map((c) => String(c.name));
    if (!container) {
      if (names.length !== 1) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
      container = names[0]!;
    }
    if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
    const c = run?.containers.find((x) => x.name === container);
    if (!run || !c) throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
    return { run, c };
  }

  /** Log text for pods/log; 400 BadRequest as the real kubelet answers for waiting containers. */
  readLogs(pod: KubeObject, options: LogOptions): string {
    const { run, c } = this.containerFor(pod, options.container);
    let lines: LogLine[];
    if (options.previous) {
      if (!c.previousLogs) throw badRequest(`previous terminated container "${c.name}" in pod "${run.name}" not found`);
      lines = c.previousLogs;
    } else {
      if (!c.ever) {
        const why = c.waitingReason === 'ErrImagePull' || c.waitingReason === 'ImagePullBackOff' ? 'trying and failing to pull image' : c.waitingReason;
        throw badRequest(`container "${c.name}" in pod "${run.name}" is waiting to start: ${why}`);
      }
      lines = c.logs;
    }
    return formatLogs(lines, options);
  }

  /**
   * Follows a container's log: calls `onLine` for every new line and `onEnd` when the
   * container stops or the pod goes away. Returns the unsubscribe function.
   */
  followLogs(pod: KubeObject, container: string | undefined, onLine: (line: LogLine) => void, onEnd: () => void): () => void {
    const { run, c } = this.containerFor(pod, container);
    if (c.state !== 'running') {
      setImmediate(onEnd);
      return () => undefined;
    }
    const follower = (name: string, line: LogLine | null) => {
      if (name !== c.name) return;
      if (line) onLine(line);
      else {
        run.followers.delete(follower);
        onEnd();
      }
    };
    run.followers.add(follower);
    return () => run.followers.delete(follower);
  }
}

/** Applies sinceSeconds/sinceTime/tailLines/limitBytes/timestamps to log lines. */
export function formatLogs(lines: LogLine[], options: LogOptions, now = new Date()): string {
  let selected = lines;
  if (options.sinceSeconds !== undefined) {
    const since = now.getTime() - options.sinceSeconds * 1000;
    selected = selected.filter((l) => l.time.getTime() >= since);
  }
  if (options.sinceTime !== undefined) {
    const since = Date.parse(options.sinceTime);
    if (!Number.isNaN(since)) selected = selected.filter((l) => l.time.getTime() >= since);
  }
  if (options.tailLines !== undefined) selected = options.tailLines <= 0 ? [] : selected.slice(-options.tailLines);
  let text = selected.map((l) => formatLine(l, options.timestamps ?? false)).join('');
  if (options.limitBytes !== undefined && options.limitBytes >= 0) text = Buffer.from(text).subarray(0, options.limitBytes).toString();
  return text;
}

/** One log line as the kubelet serves it. */
export function formatLine(line: LogLine, timestamps: boolean): string {
  return timestamps ? `${nanoStamp(line.time)} ${line.text}\n` : `${line.text}\n`;
}

/** The Ready node object the cluster starts with. */
export function nodeObject(): KubeObject {
  const now = stamp();
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
    reason,
    message,
  });
  return {
    metadata: {
      name: NODE_NAME,
      labels: {
        'kubernetes.io/hostname': NODE_NAME,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/control-plane': '',
      },
    },
    spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] },
    status: {
      capacity: { cpu: '4', memory: '16374572Ki', pods: '110', 'ephemeral-storage': '102350Mi' },
      allocatable: { cpu: '4', memory: '16272172Ki', pods: '110', 'ephemeral-storage': '102350Mi' },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: NODE_IP },
        { type: 'Hostname', address: NODE_NAME },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: 'sandbox',
        systemUUID: 'sandbox',
        bootID: 'sandbox',
        kernelVersion: '6.1.0',
        osImage: 'iotedge-k8s sandbox',
        containerRuntimeVersion: 'containerd://1.7.0',
        kubeletVersion: 'v1.32.0',
        kubeProxyVersion: 'v1.32.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}
