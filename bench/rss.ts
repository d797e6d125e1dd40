/**
 * bench/rss: the compiled bridge's start-up time and memory, next to a bare Node process (the
 * floor: `node` with an HTTP server and nothing else), alternating, in one run on the same
 * emulators.
 *
 * Starts the Kubernetes API emulator (timeFactor 0.01) and the IoT Hub emulator in this process;
 * every measured process is its own child process, spawned as the image runs the bridge
 * (`node <deploy/Dockerfile's ENTRYPOINT script> run ...`, with the node flags of its ENTRYPOINT
 * and NODE_OPTIONS as flags and its other `ENV` lines in its environment, the floor's too).
 * `--entry FILE` measures another entry script instead (e.g. an older build's
 * dist/translator/cli/entry.js); `--compare FILE` measures a second entry script beside it.
 *   1. Start-up, --runs times (default 5), alternating: the floor process, then the bridge with
 *      an empty deployment (its own namespace each run), and the --compare bridge if given (the
 *      two take turns going first). Time
 *      from spawn to the first answer of the operations server and to the first 200 of /readyz
 *      (polled every 10 ms). The bridge logs when its IoT Hub link is connected; the operations
 *      server must have answered before that.
 *   2. Memory: one bridge, VmRSS (median of 5 samples a second apart) once the empty deployment is
 *      reported and once 50 modules are reported `running`, VmHWM (the peak); the floor
 *      process's VmRSS beside it. The CPU time that bridge used up to then (the cost of flags
 *      such as --lite-mode or --jitless).
 * Goals (issue 8), each printed with `met` or `NOT met`; the exit code is 1 when one is not met:
 *   - median start-up to /readyz 200 <= 1000 ms;
 *   - VmRSS with 50 modules running <= 80 MiB;
 *   - the operations server answers before the IoT Hub link is up, in every run.
 *
 * The goals are checked on the --entry bridge only; the --compare bridge's start-up is printed beside it.
 *
 *   npm run build && npx tsx bench/rss.ts [--runs N] [--entry FILE] [--compare FILE] [--no-image-options] [--node-flag F ...] [--env K=V ...]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
// azure-iothub is CommonJS: Node's ESM loader (and tsx) only give it as a default export.
import iothub, { type Registry } from 'azure-iothub';
import { startHubEmulator, trustHubCa, type HubEmulator } from '../sandbox/hub/index.js';
import { startKubeEmulator, type KubeEmulator } from '../sandbox/kube/index.js';
import { rssSamples, runsVersion, statusKiB } from './bridge-process.js';
import { deploymentContent } from './manifests.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests and twins are free-form JSON here
type Json = any;

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const MODULES = 50;
const GOAL_START_MS = 1000;
const GOAL_RSS_MIB = 80;
const HUB_CONNECTED = 'connected to IoT Hub as $edgeAgent';

/** The floor: Node with an HTTP server answering 200, nothing loaded beyond node:http. */
const FLOOR_SCRIPT = "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.argv[1]), '127.0.0.1')";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => sorted(xs)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const ms = (x: number) => `${x.toFixed(0)} ms`;

/** CPU time (user + system) a process used so far, from /proc/<pid>/stat (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5) (utime, stime), counted after the command name's ')'.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The script deploy/Dockerfile's ENTRYPOINT runs (the first argument after `node` and its flags). */
function imageEntry(): string {
  const dockerfile = readFileSync(join(repoRoot, 'deploy', 'Dockerfile'), 'utf8');
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile.slice(dockerfile.lastIndexOf('\nFROM ')));
  const script = entry ? (JSON.parse(entry[1]!) as string[]).slice(1).find((a) => !a.startsWith('-')) : undefined;
  if (!script) throw new Error('deploy/Dockerfile: no ENTRYPOINT ["node", ..., SCRIPT] found');
  return script;
}

/** The `ENV K=V` lines of deploy/Dockerfile's runtime stage (one variable a line), in order. */
function imageEnv(): [string, string][] {
  const dockerfile = readFileSync(join(repoRoot, 'deploy', 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  return [...runtime.matchAll(/^ENV ([A-Z_][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.trim().replace(/^"|"$/g, '')]);
}

/**
 * The Node flags the image starts the bridge with: those of its ENTRYPOINT (between `node` and the
 * script; V8 flags such as --lite-mode are refused in NODE_OPTIONS) and of `ENV NODE_OPTIONS=...`
 * in deploy/Dockerfile: the bench runs the bridge as the image does.
 */
function imageNodeOptions(): string[] {
  const dockerfile = readFileSync(join(repoRoot, 'deploy', 'Dockerfile'), 'utf8');
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile.slice(dockerfile.lastIndexOf('\nFROM ')));
  const entryFlags = entry ? (JSON.parse(entry[1]!) as string[]).slice(1).filter((a, i, all) => a.startsWith('-') && all.slice(0, i).every((b) => b.startsWith('-'))) : [];
  const value = imageEnv().find(([k]) => k === 'NODE_OPTIONS')?.[1];
  return [...entryFlags, ...(value ? value.split(/\s+/).filter(Boolean) : [])];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The status of GET url, or undefined when nothing answers (yet). */
function status(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
  });
}

interface Start {
  /** Spawn to the first answer of any status. */
  upMs: number;
  /** Spawn to the first 200. */
  readyMs: number;
  /** Epoch ms of the first answer (to compare with the bridge's log times). */
  upAt: number;
}

/** Polls `url` every 10 ms from `t0` until it answers 200. */
async function untilReady(url: string, t0: number, proc: ChildProcess, timeoutMs = 60_000): Promise<Start> {
  let up: { ms: number; at: number } | undefined;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the process exited with ${proc.exitCode} before ${url} answered 200`);
    const code = await status(url);
    const now = performance.now();
    if (code !== undefined && !up) up = { ms: now - t0, at: Date.now() };
    if (code === 200) return { upMs: up!.ms, readyMs: now - t0, upAt: up!.at };
    if (now - t0 > timeoutMs) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${code ?? 'no answer'})`);
    await sleep(10);
  }
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
}

/** Epoch ms of the bridge's log line `msg` in its stderr (pino JSON lines), if it was logged. */
function loggedAt(stderr: string, msg: string): number | undefined {
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; time?: number };
      if (entry.msg === msg) return entry.time;
    } catch {
      // not a log line
    }
  }
  return undefined;
}

async function main(): Promise<number> {
  const argValue = (flag: string) => {
    const i = process.argv.indexOf(flag);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const ENTRY = argValue('--entry') ?? imageEntry();
  const COMPARE = argValue('--compare');
  for (const script of [ENTRY, ...(COMPARE ? [COMPARE] : [])]) {
    if (!existsSync(resolve(repoRoot, script))) {
      console.error(`bench/rss: ${script} is missing: run \`npm run build\` first.`);
      return 1;
    }
  }
  // The image's NODE_OPTIONS (deploy/Dockerfile), unless --no-image-options, and `--node-flag F`
  // (repeatable): Node/V8 flags of every measured process, the floor included.
  const noImage = process.argv.includes('--no-image-options');
  const nodeFlags = [
    ...(noImage ? [] : imageNodeOptions()),
    ...process.argv.flatMap((a, i) => (a === '--node-flag' && process.argv[i + 1] ? [process.argv[i + 1]!] : [])),
  ];
  // The image's other ENV lines (NODE_ENV, MALLOC_ARENA_MAX, ...) unless --no-image-options, and
  // `--env K=V` (repeatable), in every measured process's environment; NODE_OPTIONS goes in as flags.
  const extraEnv: [string, string][] = [
    ...(noImage ? [] : imageEnv().filter(([k]) => k !== 'NODE_OPTIONS')),
    ...process.argv.flatMap((a, i): [string, string][] => {
      const kv = a === '--env' ? process.argv[i + 1] : undefined;
      const eq = kv?.indexOf('=') ?? -1;
      return kv && eq > 0 ? [[kv.slice(0, eq), kv.slice(eq + 1)]] : [];
    }),
  ];
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...Object.fromEntries(extraEnv) };
  delete childEnv.NODE_OPTIONS;
  const runsArg = process.argv.indexOf('--runs');
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
  if (!Number.isInteger(runs) || runs < 1) {
    console.error('bench/rss: --runs takes a positive whole number');
    return 1;
  }
  const dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-bench-rss-'));
  let kube: KubeEmulator | undefined;
  let hub: HubEmulator | undefined;
  const children = new Set<ChildProcess>();
  try {
    kube = await startKubeEmulator({ stateDir: dir, timeFactor: 0.01 });
    hub = await startHubEmulator({ stateDir: dir, serviceHost: '127.0.0.72' });
    const registry: Registry = trustHubCa(iothub.Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
    const h = hub;
    const k = kube;
    // The service client reuses kept-alive connections, which the emulator may have closed meanwhile.
    const retried = async <T>(call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET' && !/ECONNRESET/.test((e as Error).message)) throw e;
        return call();
      }
    };
    const twin = async (): Promise<Json> => ((await retried(() => registry.getModuleTwin(h.deviceId, '$edgeAgent'))).responseBody as Json).properties;
    const push = async (doc: Json): Promise<number> => {
      await retried(() => registry.applyConfigurationContentOnDevice(h.deviceId, doc));
      return (await twin()).desired.$version as number;
    };
    const running = async (version: number, modules: number, proc: ChildProcess) => {
      const deadline = performance.now() + 180_000;
      for (;;) {
        if (proc.exitCode !== null) throw new Error(`the bridge process exited with ${proc.exitCode}`);
        const r = (await twin()).reported;
        if (runsVersion(r, version, modules)) return;
        if (performance.now() > deadline) throw new Error(`timed out waiting for ${modules} modules running (version ${version}; last status ${JSON.stringify(r?.lastDesiredStatus)})`);
        await sleep(100);
      }
    };
    const spawnChild = (args: string[], stderr: 'ignore' | 'pipe') => {
      const proc = spawn(process.execPath, [...nodeFlags, ...args], { cwd: repoRoot, env: childEnv, stdio: ['ignore', 'ignore', stderr] });
      children.add(proc);
      proc.once('exit', () => children.delete(proc));
      return proc;
    };
    const bridgeArgs = (namespace: string, opsPort: number, logLevel: string, entry = ENTRY) => [
      entry, 'run', '--kubeconfig', k.kubeconfigPath!, '--connection-string', h.edgeAgentConnectionString, '--ca', h.caFile!,
      '--namespace', namespace, '--ops-port', String(opsPort), '--ops-host', '127.0.0.1', '--log-level', logLevel,
    ];

    const envText = extraEnv.map(([k, v]) => `${k}=${v} `).join('');
    console.log(`bench/rss: ${envText}node ${process.version}${nodeFlags.length ? ` ${nodeFlags.join(' ')}` : ''}, ${runs} start-up runs, ${MODULES} modules, emulators in this process, each bridge its own process (${ENTRY}${COMPARE ? `; compared with ${COMPARE}` : ''})`);
    const empty = await push(deploymentContent(0, 'empty'));

    // 1. Start-up, alternating with the floor.
    const floorStarts: Start[] = [];
    const bridgeStarts: Start[] = [];
    const hubFirst: number[] = [];
    const compareStarts: Start[] = [];
    const compareHubFirst: number[] = [];
    /** One start of the bridge `entry` in `namespace`: its times, and how long before the hub link its ops server answered. */
    const bridgeStart = async (namespace: string, entry: string, starts: Start[], opsFirst: number[]) => {
      const port = await freePort();
      const t0 = performance.now();
      const proc = spawnChild(bridgeArgs(namespace, port, 'info', entry), 'pipe');
      let stderr = '';
      proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const start = await untilReady(`http://127.0.0.1:${port}/readyz`, t0, proc);
      starts.push(start);
      await stop(proc);
      const connectedAt = loggedAt(stderr, HUB_CONNECTED);
      if (connectedAt === undefined) throw new Error(`${namespace}: the bridge never logged '${HUB_CONNECTED}'`);
      // Positive: the operations server answered this long before the hub link was up.
      opsFirst.push(connectedAt - start.upAt);
    };
    for (let i = 0; i < runs; i++) {
      {
        const port = await freePort();
        const t0 = performance.now();
        const proc = spawnChild(['-e', FLOOR_SCRIPT, String(port)], 'ignore');
        floorStarts.push(await untilReady(`http://127.0.0.1:${port}/`, t0, proc));
        await stop(proc);
      }
      // With --compare, the two bridges take turns going first.
      if (COMPARE && i % 2 === 1) await bridgeStart(`bench-compare-${i}`, COMPARE, compareStarts, compareHubFirst);
      await bridgeStart(`bench-start-${i}`, ENTRY, bridgeStarts, hubFirst);
      if (COMPARE && i % 2 === 0) await bridgeStart(`bench-compare-${i}`, COMPARE, compareStarts, compareHubFirst);
    }
    if ((await twin()).desired.$version !== empty) throw new Error('the desired $version moved during the start-up runs');

    // 2. Memory with 50 modules; the floor process beside it.
    const floorPort = await freePort();
    const floor = spawnChild(['-e', FLOOR_SCRIPT, String(floorPort)], 'ignore');
    await untilReady(`http://127.0.0.1:${floorPort}/`, performance.now(), floor);
    const bridge = spawnChild(bridgeArgs('bench-rss', await freePort(), 'warn'), 'ignore');
    await running(empty, 0, bridge);
    const idle = median(await rssSamples(bridge.pid!));
    const full = await push(deploymentContent(MODULES, 'full'));
    await running(full, MODULES, bridge);
    const loaded = median(await rssSamples(bridge.pid!));
    const hwm = statusKiB(bridge.pid!, 'VmHWM');
    const cpu = cpuMs(bridge.pid!);
    const parts = { anon: statusKiB(bridge.pid!, 'RssAnon'), file: statusKiB(bridge.pid!, 'RssFile'), threads: statusKiB(bridge.pid!, 'Threads') };
    const floorRss = median(await rssSamples(floor.pid!));
    await stop(bridge);
    await stop(floor);

    const readyMs = bridgeStarts.map((s) => s.readyMs);
    const upMs = bridgeStarts.map((s) => s.upMs);
    const floorMs = floorStarts.map((s) => s.readyMs);
    console.log('');
    console.log(`  start-up (${runs} runs, alternating)           median      p95`);
    console.log(`  floor: node + HTTP server, first 200     ${ms(median(floorMs)).padStart(9)} ${ms(p95(floorMs)).padStart(8)}`);
    console.log(`  bridge: operations server answers        ${ms(median(upMs)).padStart(9)} ${ms(p95(upMs)).padStart(8)}`);
    console.log(`  bridge: /readyz 200 (empty deployment)   ${ms(median(readyMs)).padStart(9)} ${ms(p95(readyMs)).padStart(8)}`);
    console.log(`  bridge: ops answered before the hub link was up by: ${hubFirst.map((d) => ms(d)).join(', ')}`);
    if (COMPARE) {
      const cReady = compareStarts.map((s) => s.readyMs);
      const cUp = compareStarts.map((s) => s.upMs);
      console.log(`  compare (${COMPARE}):`);
      console.log(`  compare: operations server answers       ${ms(median(cUp)).padStart(9)} ${ms(p95(cUp)).padStart(8)}`);
      console.log(`  compare: /readyz 200 (empty deployment)  ${ms(median(cReady)).padStart(9)} ${ms(p95(cReady)).padStart(8)}`);
      console.log(`  compare: ops answered before the hub link was up by: ${compareHubFirst.map((d) => ms(d)).join(', ')}`);
    }
    console.log('');
    console.log('  memory (VmRSS, median of 5 samples)');
    console.log(`  floor: node + HTTP server                ${mib(floorRss).padStart(10)}`);
    console.log(`  bridge: empty deployment                 ${mib(idle).padStart(10)}`);
    console.log(`  bridge: ${MODULES} modules running               ${mib(loaded).padStart(10)}   (${mib(loaded - floorRss)} above the floor; VmHWM ${mib(hwm)})`);
    console.log(`  bridge: of which anonymous ${mib(parts.anon)}, file-backed ${mib(parts.file)}; ${parts.threads} threads`);
    console.log(`  bridge: CPU time from spawn to 50 modules running and 5 s idle: ${ms(cpu)} (user + system)`);
    console.log('');
    const goals: [string, boolean][] = [
      [`start-up to /readyz 200: median ${ms(median(readyMs))} <= ${GOAL_START_MS} ms`, median(readyMs) <= GOAL_START_MS],
      [`VmRSS with ${MODULES} modules: ${mib(loaded)} <= ${GOAL_RSS_MIB} MiB`, loaded <= GOAL_RSS_MIB * 1024],
      [`the operations server answers before the IoT Hub link is up, in all ${runs} runs`, hubFirst.every((d) => d > 0)],
    ];
    for (const [what, met] of goals) console.log(`  goal ${met ? 'met    ' : 'NOT met'}  ${what}`);
    return goals.every(([, met]) => met) ? 0 : 1;
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await hub?.stop();
    await kube?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`bench/rss: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
