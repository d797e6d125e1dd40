/**
 * Reconcile test harness: a cluster (the emulator, or the real one named by KUBECONFIG, in a
 * fresh namespace), a KubeConfig that records every request the client sends (to count API
 * writes at the HTTP layer) and a builder of small IoT Edge deployments.
 */
import * as k8s from '@kubernetes/client-node';
import { parseManifest } from '../../../translator/manifest/index.js';
import { translate, type TranslateOptions } from '../../../translator/translate/index.js';
import type { DesiredDeployment } from '../../../translator/reconcile/index.js';
import { ImageCatalog } from '../../../sandbox/kube/index.js';
export { waitFor } from '../../support/wait.js';
import { openCluster as openSharedCluster, type TestCluster } from '../../support/cluster.js';
import { deploymentManifest } from '../../support/manifest.js';
export type { TestCluster };

/** Images with the same behaviour on a real cluster (their command) and in the emulator (the catalog). */
export const IMAGES = {
  runs: { image: 'busybox:1.36', entrypoint: ['sh', '-c', 'echo hello; sleep 3600'] },
  crashes: { image: 'busybox:1.35', entrypoint: ['sh', '-c', 'echo boom; exit 3'] },
  finishes: { image: 'busybox:1.34', entrypoint: ['sh', '-c', 'sleep 1; echo done'] },
  runsToo: { image: 'busybox:1.37', entrypoint: ['sh', '-c', 'echo hi; sleep 3600'] },
} as const;

export type ImageName = keyof typeof IMAGES;

function catalog(): ImageCatalog {
  return new ImageCatalog({
    'busybox:1.36': { kind: 'run', lines: ['hello'] },
    'busybox:1.37': { kind: 'run', lines: ['hi'] },
    'busybox:1.35': { kind: 'crash', code: 3, afterMs: 100 },
    'busybox:1.34': { kind: 'exit', code: 0, afterMs: 1000 },
  });
}

/** Opens the cluster (real when KUBECONFIG is set) and creates a fresh namespace. */
export function openCluster(prefix: string): Promise<TestCluster> {
  return openSharedCluster(prefix, { tls: false, timeFactor: 0.01, catalog: catalog() });
}

/** One request the client sent. */
export interface RecordedRequest {
  method: string;
  path: string;
}

/** A KubeConfig whose API requests are recorded as the client sends them. */
export interface CountingKubeConfig {
  kc: k8s.KubeConfig;
  requests: RecordedRequest[];
  /** POST, PUT, PATCH and DELETE requests since the last reset. */
  writes(): RecordedRequest[];
  reset(): void;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Copies `source` and hooks the per-request authentication steps: `applyToHTTPSOptions`, which
 * translator/kube (the bridge's client) runs exactly once for every request and watch it sends,
 * and `applySecurityAuthentication`, which client-node's generated API clients run once for
 * every request.
 */
export function countingKubeConfig(source: k8s.KubeConfig): CountingKubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(source.exportConfig());
  const requests: RecordedRequest[] = [];
  const original = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (context) => {
    requests.push({ method: String(context.getHttpMethod()).toUpperCase(), path: new URL(context.getUrl()).pathname });
    return original(context);
  };
  const originalHttps = kc.applyToHTTPSOptions.bind(kc);
  kc.applyToHTTPSOptions = async (opts) => {
    const o = opts as { method?: string; path?: string };
    requests.push({ method: String(o.method ?? 'GET').toUpperCase(), path: (o.path ?? '').split('?')[0]! });
    return originalHttps(opts);
  };
  return {
    kc,
    requests,
    writes: () => requests.filter((r) => WRITE_METHODS.has(r.method)),
    reset: () => void requests.splice(0),
  };
}

/** A module of a test deployment. */
export interface TestModule {
  image: ImageName;
  status?: 'running' | 'stopped';
  restartPolicy?: 'always' | 'never' | 'on-failure' | 'on-unhealthy';
  startupOrder?: number;
  /** Container port exposed through a Service (HostPort binding). */
  port?: number;
  env?: Record<string, string>;
  /** A named volume mounted at /data (a PersistentVolumeClaim). */
  volume?: string;
}

/** An IoT Edge manifest with edgeHub and the given modules. */
export function manifestOf(modules: Record<string, TestModule>, edgeHubStartupOrder = 0): Record<string, unknown> {
  const module = (m: TestModule, system = false) => {
    const createOptions: Record<string, unknown> = { Entrypoint: IMAGES[m.image].entrypoint };
    const hostConfig: Record<string, unknown> = {};
    if (m.port) hostConfig.PortBindings = { [`${m.port}/tcp`]: [{ HostPort: String(m.port) }] };
    if (m.volume) hostConfig.Mounts = [{ Type: 'volume', Source: m.volume, Target: '/data' }];
    if (Object.keys(hostConfig).length > 0) createOptions.HostConfig = hostConfig;
    return {
      type: 'docker',
      ...(system ? {} : { version: '1.0', status: m.status ?? 'running' }),
      ...(system ? { status: 'running' } : {}),
      restartPolicy: m.restartPolicy ?? 'always',
      ...(m.startupOrder !== undefined ? { startupOrder: m.startupOrder } : {}),
      ...(m.env ? { env: Object.fromEntries(Object.entries(m.env).map(([k, v]) => [k, { value: v }])) } : {}),
      settings: { image: IMAGES[m.image].image, createOptions: JSON.stringify(createOptions) },
    };
  };
  return deploymentManifest({
    runtimeSettings: { minDockerVersion: 'v1.25' },
    edgeHub: module({ image: 'runs', startupOrder: edgeHubStartupOrder }, true),
    modules: Object.fromEntries(Object.entries(modules).map(([name, m]) => [name, module(m)])),
  });
}

/** Validates and translates a manifest into a desired deployment; throws on any diagnostic error. */
export function desiredOf(doc: unknown, version: number, namespace: string, deviceId: string, options: Partial<TranslateOptions> = {}): DesiredDeployment {
  const { model, diagnostics } = parseManifest(doc);
  if (!model) throw new Error(`invalid test manifest: ${diagnostics.map((d) => `${d.pointer}: ${d.message}`).join('; ')}`);
  const result = translate(model, { namespace, deviceId, hubHostname: 'hub.example.test', ...options });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`test manifest does not translate: ${errors.map((d) => d.message).join('; ')}`);
  return { version, model, objects: result.objects };
}


/** The HTTP status of a failed client-node call, or undefined when it succeeded. */
export async function statusOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'number') throw error;
    return code;
  }
}
