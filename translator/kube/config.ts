/**
 * Which cluster the bridge talks to, and how each request authenticates.
 *
 * {@link KubeConfig} is the little the bridge's clients need of a configuration: the current
 * cluster's server and a hook that adds TLS material and credentials to a request. The
 * @kubernetes/client-node KubeConfig satisfies it (tests pass one), and so does
 * {@link KubeConfigLoader}, which reads kubeconfig files and the in-cluster service account
 * without loading client-node: client-node's KubeConfig module alone loads every generated API
 * class and model (about 60 MiB of memory and a second of start-up; docs/benchmarks.md). The
 * kubeconfig is parsed with client-node's own small `config_types` module (the same defaults and
 * validation as client-node). Users it does not authenticate itself (exec plugins, auth
 * providers other than a token file) and clusters behind a proxy are handed to client-node's
 * KubeConfig, loaded then.
 * @see https://github.com/kubernetes-client/javascript/blob/main/src/config.ts (what we follow)
 */
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import type { RequestOptions } from 'node:https';
import { newClusters, newContexts, newUsers, type Cluster, type Context, type User } from '@kubernetes/client-node/dist/config_types.js';
import { parse } from 'yaml';

/** The configuration the bridge's Kubernetes clients need; @kubernetes/client-node's KubeConfig is one. */
export interface KubeConfig {
  /** The current context's cluster (its `server` URL), or null when there is none. */
  getCurrentCluster(): Pick<Cluster, 'server'> | null;
  /**
   * Adds what a request to the cluster needs to `opts`: CA, client certificate, `Authorization`,
   * `rejectUnauthorized`, an agent. `opts.method` and `opts.path` name the request.
   */
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
}

const SERVICEACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
/** How long a token read from a file is used before it is read again (client-go's period). */
const TOKEN_FILE_REFRESH_MS = 60_000;

/** A kubeconfig read from a file, a string or the pod's service account: `new KubeConfigLoader()` then one `loadFrom...`. */
export class KubeConfigLoader implements KubeConfig {
  clusters: Cluster[] = [];
  users: User[] = [];
  contexts: Context[] = [];
  currentContext = '';
  private tokenFile?: { path: string; token: string; readAt: number };
  private tls?: { cluster: Cluster | null; user: User | null; material: TlsMaterial };
  private delegate?: Promise<KubeConfig>;

  /** Reads a kubeconfig file; relative file names in it are relative to its folder. Throws on unreadable or invalid files. */
  loadFromFile(file: string): void {
    this.loadFromString(readFileSync(file, 'utf8'));
    const root = dirname(file);
    const absolute = (path: string) => (isAbsolute(path) ? path : join(root, path));
    this.clusters = this.clusters.map((c) => (c.caFile ? { ...c, caFile: absolute(c.caFile) } : c));
    this.users = this.users.map((u) => ({ ...u, ...(u.certFile ? { certFile: absolute(u.certFile) } : {}), ...(u.keyFile ? { keyFile: absolute(u.keyFile) } : {}) }));
  }

  /** Reads kubeconfig YAML (or JSON). Throws on an invalid document. */
  loadFromString(text: string): void {
    const doc = parse(text) as Record<string, unknown> | null;
    if (doc === null || typeof doc !== 'object') throw new Error('the kubeconfig is not a YAML mapping');
    this.clusters = newClusters(doc.clusters as never);
    this.contexts = newContexts(doc.contexts as never);
    this.users = newUsers(doc.users as never);
    this.currentContext = typeof doc['current-context'] === 'string' ? doc['current-context'] : '';
  }

  /** The pod's service account and the API server named by KUBERNETES_SERVICE_HOST/PORT. */
  loadFromCluster(): void {
    const host = process.env.KUBERNETES_SERVICE_HOST;
    const port = process.env.KUBERNETES_SERVICE_PORT;
    const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
    const server = `${scheme}://${host && isIPv6(host) ? `[${host}]` : host}:${port}`;
    this.clusters = [{ name: 'inCluster', server, caFile: `${SERVICEACCOUNT}/ca.crt`, skipTLSVerify: false }];
    this.users = [{ name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile: `${SERVICEACCOUNT}/token` } } }];
    this.contexts = [{ name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser', namespace: readOptional(`${SERVICEACCOUNT}/namespace`)?.trim() }];
    this.currentContext = 'inClusterContext';
  }

  getCurrentContextObject(): Context | null {
    return this.contexts.find((c) => c.name === this.currentContext) ?? null;
  }

  getCurrentCluster(): Cluster | null {
    const context = this.getCurrentContextObject();
    return (context && this.clusters.find((c) => c.name === context.cluster)) ?? null;
  }

  getCurrentUser(): User | null {
    const context = this.getCurrentContextObject();
    return (context && this.users.find((u) => u.name === context.user)) ?? null;
  }

  async applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser();
    if (needsClientNode(cluster, user)) {
      await (await this.clientNode()).applyToHTTPSOptions(opts);
      // client-node makes a new agent for every request. A proxy's agent is the route, so it stays;
      // the others only repeat the TLS options client-node also put in `opts`, which the request
      // pool's agent (http.ts) reads from there: they go, and these requests reuse connections too.
      if (!cluster?.proxyUrl) delete opts.agent;
      return;
    }
    const headers = (opts.headers ??= {}) as Record<string, string>;
    if (cluster?.skipTLSVerify) opts.rejectUnauthorized = false;
    if (cluster?.tlsServerName) opts.servername = cluster.tlsServerName;
    const { ca, cert, key } = this.tlsMaterial(cluster, user);
    if (ca) opts.ca = ca;
    if (!user) return;
    if (cert) opts.cert = cert;
    if (key) opts.key = key;
    if (user.impersonateUser) headers['Impersonate-User'] = user.impersonateUser;
    if (user.username) opts.auth = `${user.username}:${user.password ?? ''}`;
    const tokenFile = user.authProvider?.config?.tokenFile as string | undefined;
    if (tokenFile) headers.Authorization = `Bearer ${this.fileToken(tokenFile)}`;
    if (user.token) headers.Authorization = `Bearer ${user.token}`;
  }

  /**
   * The CA and client certificate of the current cluster and user, read once (until the context
   * changes): the request pool (http.ts) keeps connections by them, so the same Buffers each time
   * also spare it a file read per request. A token is a header, read per request (fileToken).
   */
  private tlsMaterial(cluster: Cluster | null, user: User | null): TlsMaterial {
    if (!this.tls || this.tls.cluster !== cluster || this.tls.user !== user) {
      const material: TlsMaterial = { ca: cluster ? fileOrData(cluster.caFile, cluster.caData) : undefined };
      if (user) Object.assign(material, { cert: fileOrData(user.certFile, user.certData), key: fileOrData(user.keyFile, user.keyData) });
      this.tls = { cluster, user, material };
    }
    return this.tls.material;
  }

  /** The token of a token file (the service account's is rotated by the kubelet), read again after a minute. */
  private fileToken(path: string): string {
    const now = Date.now();
    if (!this.tokenFile || this.tokenFile.path !== path || now - this.tokenFile.readAt > TOKEN_FILE_REFRESH_MS) {
      this.tokenFile = { path, token: readFileSync(path, 'utf8').trim(), readAt: now };
    }
    return this.tokenFile.token;
  }

  /** client-node's KubeConfig with the same clusters, users and contexts, loaded on first use. */
  private clientNode(): Promise<KubeConfig> {
    this.delegate ??= import('@kubernetes/client-node').then(({ KubeConfig: ClientNodeConfig }) => {
      const kc = new ClientNodeConfig();
      kc.loadFromOptions({ clusters: this.clusters, users: this.users, contexts: this.contexts, currentContext: this.currentContext });
      return kc;
    });
    return this.delegate;
  }
}

/** Exec plugins, auth providers (but a token file) and proxies are client-node's to handle. */
function needsClientNode(cluster: Cluster | null, user: User | null): boolean {
  if (cluster?.proxyUrl) return true;
  if (!user) return false;
  if (user.exec) return true;
  return user.authProvider !== undefined && !user.authProvider.config?.tokenFile;
}

interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

function fileOrData(file: string | undefined, data: string | undefined): Buffer | undefined {
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return undefined;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
