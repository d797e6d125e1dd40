/**
 * `iotedge-k8s sandbox`: the built-in stand-ins for a cluster and an IoT Hub, for demos, module
 * development and tests. Runs until SIGINT/SIGTERM.
 *
 * {@link startSandbox} starts the pair for `sandbox` and `run --sandbox` alike. It checks
 * everything that can be wrong with the user's choices before it writes anything: the state
 * directory (created without `mkdir -p`, whose Node implementation loops forever under
 * `/proc`), that no other running sandbox uses it (`sandbox.lock` holds the owner's pid), and
 * the addresses. When the default IoT Hub service address (127.0.0.2:443) is taken it moves to
 * the next free loopback address and says so; an address or port the user chose that is taken
 * is an error. `<stateDir>/kubeconfig` is written last, once both emulators serve.
 * The emulators are loaded with `import()`, so other commands never load them.
 */
import { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { HubEmulator } from '../../sandbox/hub/index.js';
import type { KubeEmulator } from '../../sandbox/kube/index.js';
import { SandboxError } from './errors.js';
import type { Io } from './main.js';

export interface SandboxFlags {
  stateDir: string;
  catalog?: string;
  lbPool: string[];
  kubePort?: number;
  mqttPort?: number;
  serviceHost?: string;
}

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
  /** Directory for kubeconfig, hub.json, the hub registry and CA, and the lock. */
  stateDir: string;
  /** Image catalog file (JSON). */
  catalog?: string;
  /** External IPs for LoadBalancer Services. @default the sandbox's own loopback pool (docs/sandbox-kube.md) */
  lbPool?: string[];
  /** Port of the Kubernetes API on 127.0.0.1. @default a free port */
  kubePort?: number;
  /** Port of the MQTT listener on 127.0.0.1. @default a free port */
  mqttPort?: number;
  /** Loopback address whose port 443 serves the IoT Hub service API. @default 127.0.0.2, or the next free one */
  serviceHost?: string;
  /** Also run Azurite as the hub's blob endpoint (`sandbox` does; `run --sandbox` with `--blob-storage`, as `npm start`). */
  blobStorage?: boolean;
}

/** A running sandbox pair. */
export interface Sandbox {
  kube: KubeEmulator;
  hub: HubEmulator;
  stateDir: string;
  kubeconfigPath: string;
  hubJsonPath: string;
  /** Choices made for the user (a default address that was taken), one line each. */
  notes: string[];
  /** Stops both emulators and releases the state directory. */
  stop(): Promise<void>;
}

/** The IoT Hub service API's default address, and how many further loopback addresses are tried. */
const DEFAULT_SERVICE_HOST = '127.0.0.2';
const SERVICE_HOST_CANDIDATES = 30;
const LOCK_FILE = 'sandbox.lock';

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ENOENT':
      return 'it cannot be created there';
    case 'EADDRINUSE':
      return 'already in use';
    case 'EADDRNOTAVAIL':
      return 'not an address of this machine';
    default:
      return (error as Error).message;
  }
}

/** Creates `dir` one level at a time (never `recursive`, which spins under /proc) and checks that it is writable. */
export function prepareStateDir(dir: string): void {
  const fail = (why: string) => new SandboxError(`cannot use the state directory ${dir}: ${why}; pass --state-dir with a writable directory`);
  const missing: string[] = [];
  let existing = dir;
  for (;;) {
    try {
      if (!statSync(existing).isDirectory()) throw fail(`${existing} is not a directory`);
      break;
    } catch (error) {
      if (error instanceof SandboxError) throw error;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fail(reason(error));
      const parent = dirname(existing);
      if (parent === existing) throw fail('no part of the path exists');
      missing.unshift(existing);
      existing = parent;
    }
  }
  for (const part of missing) {
    try {
      mkdirSync(part);
    } catch (error) {
      throw fail(reason(error));
    }
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw fail(reason(error));
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<dir>/sandbox.lock` for this process; a lock held by a live process is an error. Returns the release function. */
export function lockStateDir(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new SandboxError(`cannot use the state directory ${dir}: ${reason(error)}; pass --state-dir with a writable directory`);
      }
    }
    const owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
      throw new SandboxError(`the state directory ${dir} is in use by another sandbox (pid ${owner}); stop it, or pass --state-dir DIR to run a second one`);
    }
    rmSync(file, { force: true });
  }
  throw new SandboxError(`cannot lock the state directory ${dir}; pass --state-dir DIR`);
}

/** Resolves when `host:port` can be listened on, rejects with the listen error otherwise. */
function probe(host: string, port: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolvePromise()));
  });
}

/** The service host to use: the user's (which must be free) or the first free loopback address from 127.0.0.2. */
async function chooseServiceHost(requested: string | undefined, notes: string[]): Promise<string> {
  if (requested !== undefined) {
    if (isIP(requested) !== 4 || !requested.startsWith('127.')) {
      throw new SandboxError(`--service-host '${requested}' must be an IPv4 loopback address (127.0.0.0/8), e.g. 127.0.0.3`);
    }
    try {
      await probe(requested, 443);
    } catch (error) {
      throw new SandboxError(`--service-host ${requested}: port 443 there is ${reason(error)}; choose another loopback address, e.g. 127.0.0.3`);
    }
    return requested;
  }
  let first: unknown;
  for (let i = 0; i < SERVICE_HOST_CANDIDATES; i++) {
    const host = `127.0.0.${2 + i}`;
    try {
      await probe(host, 443);
      if (i > 0) notes.push(`IoT Hub service API: ${DEFAULT_SERVICE_HOST}:443 is taken (another sandbox?), using ${host}:443`);
      return host;
    } catch (error) {
      first ??= error;
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
    }
  }
  throw new SandboxError(`the IoT Hub service API cannot listen on ${DEFAULT_SERVICE_HOST}:443: ${reason(first)}; pass --service-host with a free loopback address`);
}

async function checkPort(flag: string, port: number | undefined): Promise<void> {
  if (port === undefined || port === 0) return;
  try {
    await probe('127.0.0.1', port);
  } catch (error) {
    throw new SandboxError(`${flag} ${port}: 127.0.0.1:${port} is ${reason(error)}; choose another port, or leave ${flag} out for a free one`);
  }
}

/**
 * Starts the Kubernetes API and IoT Hub emulators with their state in `options.stateDir`.
 * Throws {@link SandboxError} (before writing anything) when a choice cannot work.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const stateDir = resolve(options.stateDir);
  const notes: string[] = [];
  prepareStateDir(stateDir);
  const release = lockStateDir(stateDir);
  let kube: KubeEmulator | undefined;
  let hub: HubEmulator | undefined;
  try {
    await checkPort('--kube-port', options.kubePort);
    await checkPort('--mqtt-port', options.mqttPort);
    const serviceHost = await chooseServiceHost(options.serviceHost, notes);
    const kubeModule = await import('../../sandbox/kube/index.js');
    const hubModule = await import('../../sandbox/hub/index.js');
    const catalog = options.catalog ? kubeModule.ImageCatalog.fromFile(options.catalog) : undefined;
    kube = await kubeModule.startKubeEmulator({
      stateDir,
      catalog,
      port: options.kubePort,
      loadBalancerPool: options.lbPool?.length ? options.lbPool : undefined,
    });
    hub = await hubModule.startHubEmulator({ stateDir, mqttPort: options.mqttPort, serviceHost, ...(options.blobStorage ? { blobStorage: true } : {}) });
    const kubeconfigPath = join(stateDir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kube.kubeconfig, { mode: 0o600 });
    const running = { kube, hub };
    let stopped = false;
    return {
      ...running,
      stateDir,
      kubeconfigPath,
      hubJsonPath: join(stateDir, 'hub.json'),
      notes,
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          await running.hub.stop();
          await running.kube.stop();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    await hub?.stop().catch(() => undefined);
    await kube?.stop().catch(() => undefined);
    release();
    if (error instanceof Error && /^IoT Hub emulator: cannot listen/.test(error.message)) throw new SandboxError(error.message);
    if (error instanceof Error && ['CatalogError', 'ServiceBindError', 'BlobEmulatorError'].includes(error.name)) throw new SandboxError(error.message);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new SandboxError(`${(error as Error).message}; choose other ports`);
    throw error;
  }
}

export async function runSandbox(flags: SandboxFlags, io: Io, stopSignal: Promise<unknown>): Promise<number> {
  const starting = startSandbox({ ...flags, blobStorage: true });
  const first = await Promise.race([starting.then(() => 'started' as const), stopSignal.then(() => 'signal' as const)]).catch((error: unknown) => {
    if (error instanceof SandboxError) return error;
    throw error;
  });
  if (first instanceof SandboxError) {
    io.stderr(`error: ${first.message}\n`);
    return 1;
  }
  if (first === 'signal') {
    io.stdout('Stopping the sandbox.\n');
    const late = await starting.catch(() => undefined);
    await late?.stop();
    return 0;
  }
  const sandbox = await starting;
  try {
    const { kube, hub } = sandbox;
    io.stdout(
      [
        `Sandbox running (state in ${sandbox.stateDir}); Ctrl-C stops it.`,
        ...sandbox.notes.map((n) => `  note: ${n}`),
        `  Kubernetes API:  ${kube.url}`,
        `    kubectl --kubeconfig ${sandbox.kubeconfigPath} get pods -A`,
        `  IoT Hub:         service ${hub.serviceHost}:443, MQTT 127.0.0.1:${hub.mqttPort}, device '${hub.deviceId}'`,
        `    connection strings and CA: ${sandbox.hubJsonPath}`,
        ...(hub.blob ? [`  Blob storage:    ${hub.blob.serviceUrl} (Azurite), container '${hub.blob.container}': SAS URL in hub.json (blobContainerSasUrl)`] : []),
        '',
      ].join('\n'),
    );
    await stopSignal;
    io.stdout('Stopping the sandbox.\n');
    return 0;
  } finally {
    await sandbox.stop();
  }
}

/** What `hub monitor` needs to sign its request to the sandbox hub's event stream (loaded when it runs). */
export async function hubEventAuth(): Promise<{ createSas: typeof import('../../sandbox/hub/index.js').createSas; EVENTS_PORT: number }> {
  const { createSas, EVENTS_PORT } = await import('../../sandbox/hub/index.js');
  return { createSas, EVENTS_PORT };
}
