/**
 * bench/rss: the bridge's memory and start-up, compiled JavaScript next to the TypeScript
 * sources through tsx, in one run on the same emulators.
 *
 * Starts the Kubernetes API emulator (timeFactor 0.01) and the IoT Hub emulator in this process,
 * then for each variant in turn spawns the bridge as its own process against them:
 *   - compiled: `node dist/translator/cli/entry.js run ...` (what the bin and the image run);
 *   - tsx:      `node --import tsx translator/cli/entry.ts run ...` (the sources, as before).
 * For each it prints the time `--help` takes (median of 3), then VmRSS (median of 5 samples a
 * second apart) once the empty deployment is reported and once 50 modules are reported
 * `running`, and VmHWM (the peak).
 *
 *   npm run build && npx tsx bench/rss.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
// azure-iothub is CommonJS: Node's ESM loader (and tsx) only give it as a default export.
import iothub, { type Registry } from 'azure-iothub';
import { startHubEmulator, trustHubCa, type HubEmulator } from '../sandbox/hub/index.js';
import { startKubeEmulator, type KubeEmulator } from '../sandbox/kube/index.js';
import { runsVersion, spawnBridge, type BridgeProcess } from './bridge-process.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests and twins are free-form JSON here
type Json = any;

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const MODULES = 50;

const VARIANTS = [
  { name: 'compiled', argv: ['dist/translator/cli/entry.js'] },
  { name: 'tsx', argv: ['--import', 'tsx', 'translator/cli/entry.ts'] },
] as const;

function content(n: number, tag: string): Json {
  const modules: Json = {};
  for (let i = 0; i < n; i++) {
    modules[`module${i}`] = {
      version: '1.0',
      type: 'docker',
      status: 'running',
      restartPolicy: 'always',
      env: { BENCH: { value: tag } },
      settings: { image: `contoso.azurecr.io/bench-module-${i}:1.0`, createOptions: JSON.stringify({ ExposedPorts: { [`${8000 + i}/tcp`]: {} } }) },
    };
  }
  return {
    modulesContent: {
      $edgeAgent: {
        'properties.desired': {
          schemaVersion: '1.1',
          runtime: { type: 'docker', settings: { minDockerVersion: 'v1.25' } },
          systemModules: {
            edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5', createOptions: '{}' } },
            edgeHub: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5', createOptions: '{}' } },
          },
          modules,
        },
      },
      $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: { upstream: 'FROM /messages/* INTO $upstream' }, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

interface Result {
  name: string;
  helpMs: number;
  idle: number;
  loaded: number;
  hwm: number;
}

async function main(): Promise<number> {
  if (!existsSync(join(repoRoot, 'dist', 'translator', 'cli', 'entry.js'))) {
    console.error('bench/rss: dist/ is missing: run `npm run build` first.');
    return 1;
  }
  const dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-bench-rss-'));
  let kube: KubeEmulator | undefined;
  let hub: HubEmulator | undefined;
  let child: BridgeProcess | undefined;
  try {
    kube = await startKubeEmulator({ stateDir: dir, timeFactor: 0.01 });
    hub = await startHubEmulator({ stateDir: dir, serviceHost: '127.0.0.72' });
    const registry: Registry = trustHubCa(iothub.Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
    const h = hub;
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
    const running = async (version: number, modules: number, proc: BridgeProcess) => {
      const deadline = performance.now() + 120_000;
      for (;;) {
        if (proc.child.exitCode !== null) throw new Error(`the bridge process exited with ${proc.child.exitCode}: ${proc.stderrTail()}`);
        if (runsVersion((await twin()).reported, version, modules)) return;
        if (performance.now() > deadline) throw new Error(`timed out waiting for ${modules} modules running (version ${version}); bridge stderr: ${proc.stderrTail().slice(-500)}`);
        await sleep(100);
      }
    };

    console.log(`bench/rss: node ${process.version}, ${MODULES} modules, emulators in this process, each bridge its own process`);
    const results: Result[] = [];
    for (const variant of VARIANTS) {
      const helpTimes: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const r = spawnSync(process.execPath, [...variant.argv, '--help'], { cwd: repoRoot, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`${variant.name} --help exited with ${r.status}: ${r.stderr}`);
        helpTimes.push(performance.now() - t0);
      }
      const empty = await push(content(0, variant.name));
      const namespace = `bench-rss-${variant.name}`;
      const proc = spawnBridge({ entry: variant.argv, kubeconfig: kube.kubeconfigPath!, connectionString: hub.edgeAgentConnectionString, ca: hub.caFile!, namespace, cwd: repoRoot });
      child = proc;
      await running(empty, 0, proc);
      const idle = median(await proc.rssSamples());
      const full = await push(content(MODULES, variant.name));
      await running(full, MODULES, proc);
      const loaded = median(await proc.rssSamples());
      const hwm = proc.statusKiB('VmHWM');
      await proc.stop();
      child = undefined;
      results.push({ name: variant.name, helpMs: median(helpTimes), idle, loaded, hwm });
    }

    console.log('');
    console.log('  variant    --help (median of 3)   VmRSS empty   VmRSS 50 modules   VmHWM');
    for (const r of results) {
      console.log(`  ${r.name.padEnd(9)}  ${`${r.helpMs.toFixed(0)} ms`.padStart(20)}   ${mib(r.idle).padStart(11)}   ${mib(r.loaded).padStart(16)}   ${mib(r.hwm).padStart(9)}`);
    }
    const [compiled, viaTsx] = results as [Result, Result];
    console.log('');
    console.log(`  compiled uses ${mib(viaTsx.loaded - compiled.loaded)} less with ${MODULES} modules (${((compiled.loaded / viaTsx.loaded) * 100).toFixed(0)}% of tsx), starts --help ${(viaTsx.helpMs / compiled.helpMs).toFixed(1)}x faster`);
    return 0;
  } finally {
    child?.child.kill('SIGKILL');
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
