/**
 * A write fence on the Kubernetes client: a KubeConfig for the bridge's parts (reconciler,
 * last-good Secret, direct methods) that refuses to send any request other than GET while
 * `mayWrite()` is false. It sits where @kubernetes/client-node authenticates each request
 * (`applySecurityAuthentication`, called by every generated API client and by
 * KubernetesObjectApi), so once a leader loses leadership no new write leaves the process,
 * whatever code path would have issued it. Reads (lists, watches, logs) pass.
 */
import { KubeConfig } from '@kubernetes/client-node';

/** A write refused because this bridge does not lead. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
}

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

class FencedKubeConfig extends KubeConfig {
  constructor(
    private readonly inner: KubeConfig,
    private readonly mayWrite: () => boolean,
  ) {
    super();
    this.clusters = inner.clusters;
    this.users = inner.users;
    this.contexts = inner.contexts;
    this.currentContext = inner.currentContext;
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    const method = String(context.getHttpMethod()).toUpperCase();
    if (method !== 'GET' && method !== 'HEAD' && !this.mayWrite()) {
      throw new NotLeaderError(`${method} ${new URL(context.getUrl()).pathname} refused: this bridge is not the leader`);
    }
    return this.inner.applySecurityAuthentication(context);
  }

  override async applyToFetchOptions(...args: Parameters<KubeConfig['applyToFetchOptions']>): ReturnType<KubeConfig['applyToFetchOptions']> {
    return this.inner.applyToFetchOptions(...args);
  }

  override async applyToHTTPSOptions(...args: Parameters<KubeConfig['applyToHTTPSOptions']>): ReturnType<KubeConfig['applyToHTTPSOptions']> {
    return this.inner.applyToHTTPSOptions(...args);
  }
}

/** `kubeConfig`, except that writes fail with {@link NotLeaderError} while `mayWrite()` is false. */
export function fenceWrites(kubeConfig: KubeConfig, mayWrite: () => boolean): KubeConfig {
  return new FencedKubeConfig(kubeConfig, mayWrite);
}
