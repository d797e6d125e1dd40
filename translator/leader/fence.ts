/**
 * A write fence on the Kubernetes client: a configuration for the bridge's parts (reconciler,
 * last-good Secret, direct methods) that refuses to send any request other than GET while
 * `mayWrite()` is false. It sits where translator/kube authenticates each request
 * (`applyToHTTPSOptions`, called for every request and watch), so once a leader loses leadership
 * no new write leaves the process, whatever code path would have issued it. Reads (lists,
 * watches, logs) pass.
 */
import type { RequestOptions } from 'node:https';
import type { KubeConfig } from '../kube/index.js';

/** A write refused because this bridge does not lead. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
}

/** `kubeConfig`, except that writes fail with {@link NotLeaderError} while `mayWrite()` is false. */
export function fenceWrites(kubeConfig: KubeConfig, mayWrite: () => boolean): KubeConfig {
  return {
    getCurrentCluster: () => kubeConfig.getCurrentCluster(),
    async applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
      const method = String(opts.method ?? 'GET').toUpperCase();
      if (method !== 'GET' && method !== 'HEAD' && !mayWrite()) {
        throw new NotLeaderError(`${method} ${(opts.path ?? '').split('?')[0]} refused: this bridge is not the leader`);
      }
      return kubeConfig.applyToHTTPSOptions(opts);
    },
  };
}
