/**
 * What a process container gets, as a container would: its command line (image entrypoint and
 * arguments, replaced by the container's `command`/`args`, `$(VAR)` expanded), its environment
 * (a minimal base, the image's env, then the pod's env with valueFrom), its root directory with
 * its volumes, and the working directory. Node images (the repository's modules) run under this
 * Node with tsx and the sandbox preload (preload.mjs: Service names, parent watchdog).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { KubeApi } from './api.js';
import { REPOSITORY_ROOT } from './modules.js';
import type { ProcessImage } from './catalog.js';
import { containerEnv, expandCommand } from './pod-env.js';
import { inside, setUpContainerRoot, setUpVolumes } from './pod-volumes.js';
import type { ProcessSpec } from './process-runner.js';
import type { JsonObject, KubeObject } from './types.js';

const require = createRequire(import.meta.url);
/** `--import` targets of Node images: tsx (TypeScript) and the sandbox preload. */
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;
/** The preload next to this file; the compiled build (dist/) has none (tsc copies no .mjs): the sources' one. */
export const PRELOAD = preloadUrl();

function preloadUrl(): string {
  const here = new URL('./preload.mjs', import.meta.url);
  return existsSync(here) ? here.href : pathToFileURL(join(REPOSITORY_ROOT, 'sandbox', 'kube', 'preload.mjs')).href;
}

/** Variables every process container gets (documented in docs/sandbox-kube.md). */
export const SANDBOX_ENV = {
  /** The container's root directory: an absolute path P in the container is `$SANDBOX_ROOT/P` here. */
  root: 'SANDBOX_ROOT',
  /** The pod's IP (loopback.ts), the address to listen on. */
  podIP: 'SANDBOX_POD_IP',
  /** The pod's namespace (the resolver's search domain). */
  namespace: 'SANDBOX_NAMESPACE',
  /** The JSON file of Service names -> proxy addresses (read by preload.mjs). */
  hostsFile: 'SANDBOX_HOSTS_FILE',
} as const;

/** Everything a process container's setup reads. */
export interface ProcessContext {
  api: KubeApi;
  pod: KubeObject;
  podIP: string;
  hostIP: string;
  podDir: string;
  hostRoot: string;
  hostsFile?: string;
  /** Sets up the pod's volumes (once per pod). */
  volumes(): Map<string, string>;
}

/** A {@link ProcessContext} without `volumes`, completed here. */
export type ProcessContextInput = Omit<ProcessContext, 'volumes'>;

/** Adds the `volumes` step to a context. */
export function processContext(input: ProcessContextInput): ProcessContext {
  return { ...input, volumes: () => setUpVolumes(input.api, input.pod, input.podDir, input.hostRoot, input.podIP, input.hostIP) };
}

/**
 * The process to run for `container` of `image`. Throws ContainerConfigError (missing Secret,
 * ConfigMap or key) or VolumeError.
 */
export function processSpec(ctx: ProcessContext, container: JsonObject, image: ProcessImage, volumes: ReadonlyMap<string, string>): ProcessSpec {
  const root = setUpContainerRoot(ctx.podDir, container, volumes);
  const podEnv = containerEnv(ctx, container);
  const sandbox: Record<string, string> = {
    [SANDBOX_ENV.root]: root,
    [SANDBOX_ENV.podIP]: ctx.podIP,
    [SANDBOX_ENV.namespace]: ctx.pod.metadata.namespace ?? 'default',
  };
  if (ctx.hostsFile) sandbox[SANDBOX_ENV.hostsFile] = ctx.hostsFile;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOSTNAME: ctx.pod.metadata.name ?? '',
    HOME: root,
    ...(image.env ?? {}),
    ...podEnv,
    ...sandbox,
  };
  const command = expandCommand(container.command, env);
  const args = expandCommand(container.args, env);
  let words = [...(command ?? image.command), ...(args ?? (command ? [] : (image.args ?? [])))];
  if (image.node) {
    if (command && (command[0] === 'node' || command[0] === 'nodejs')) words = words.slice(1);
    words = [process.execPath, '--import', TSX_LOADER, '--import', PRELOAD, ...words];
  }
  const workingDir = typeof container.workingDir === 'string' && container.workingDir !== '' ? inside(root, container.workingDir) : undefined;
  const cwd = workingDir ?? (image.cwd ? (isAbsolute(image.cwd) ? image.cwd : inside(root, image.cwd)) : root);
  mkdirSync(cwd, { recursive: true });
  return { argv: words, cwd, env };
}
