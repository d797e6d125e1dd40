/**
 * Test harness: a Kubernetes API to test against. With KUBECONFIG set it uses that
 * cluster (in a fresh namespace deleted afterwards); otherwise it starts the
 * emulator with a fast clock and an image catalog that makes the test images
 * behave as their commands do on a real cluster.
 */
import { ImageCatalog } from '../../../sandbox/kube/index.js';
export { waitFor } from '../../support/wait.js';
import { openCluster as openSharedCluster, type TestCluster } from '../../support/cluster.js';
export type { TestCluster };

/** Images with a fixed behaviour on real clusters (via their command) and in the emulator (via the catalog). */
export const IMAGES = {
  /** `sh -c 'echo hello; sleep 3600'`: runs and logs "hello". */
  logger: { image: 'busybox:1.36', command: ['sh', '-c', 'echo hello; sleep 3600'] },
  /** `sh -c 'echo boom; exit 3'`: crashes with exit code 3. */
  crasher: { image: 'busybox:1.35', command: ['sh', '-c', 'echo boom; exit 3'] },
  /** `sh -c 'echo done'`: exits 0. */
  worker: { image: 'busybox:1.34', command: ['sh', '-c', 'echo done'] },
  /** An image no registry has. */
  missing: { image: 'registry.invalid/nope:1', command: ['true'] },
} as const;

/** The emulator catalog matching {@link IMAGES}. */
export function testCatalog(): ImageCatalog {
  return new ImageCatalog({
    'busybox:1.36': { kind: 'run', lines: ['hello'] },
    'busybox:1.35': { kind: 'crash', code: 3, afterMs: 200 },
    'busybox:1.34': { kind: 'exit', code: 0, afterMs: 200 },
    'registry.invalid/nope:1': { kind: 'pull-fail' },
  });
}

/** Opens the cluster (real when KUBECONFIG is set) and creates a fresh namespace. */
export function openCluster(prefix: string): Promise<TestCluster> {
  return openSharedCluster(prefix, { timeFactor: 0.02, catalog: testCatalog(), loadBalancerPool: ['192.0.2.10'] });
}


/** The status code and parsed Status body of a failed client-node call. */
export async function apiError(promise: Promise<unknown>): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code?: number; body?: unknown };
    if (typeof e.code !== 'number') throw error;
    const status = typeof e.body === 'string' ? (JSON.parse(e.body) as Record<string, unknown>) : ((e.body ?? {}) as Record<string, unknown>);
    return { code: e.code, status };
  }
  throw new Error('expected the call to fail');
}
