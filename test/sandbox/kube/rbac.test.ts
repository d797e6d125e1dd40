/**
 * ServiceAccount tokens and RBAC in the sandbox cluster, through kubectl and
 * @kubernetes/client-node: TokenRequest (`kubectl create token`), Role/ClusterRole and their
 * bindings enforced with the real API server's 403, SelfSubjectAccessReview (`kubectl auth
 * can-i`), the admin kubeconfig all-powerful; and `iotedge-k8s install` applied with kubectl.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigMap } from 'kubernetes-models/v1';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { binPath, ensureBuilt } from '../../support/build.js';

const run = promisify(execFile);
let kube: KubeEmulator;
let admin: KubeConfig;
let dir: string;
const NS = 'team-a';

async function kubectl(...args: string[]): Promise<string> {
  return (await run('kubectl', ['--kubeconfig', kube.kubeconfigPath!, ...args], { timeout: 30_000 })).stdout;
}

async function kubectlFails(...args: string[]): Promise<string> {
  try {
    await kubectl(...args);
  } catch (e) {
    return String((e as { stderr?: string }).stderr);
  }
  throw new Error(`kubectl ${args.join(' ')} succeeded`);
}

function tokenConfig(token: string): KubeConfig {
  const cluster = admin.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sandbox', server: cluster.server, caData: cluster.caData }],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 'sa', cluster: 'sandbox', user: 'sa' }],
    currentContext: 'sa',
  });
  return kc;
}

/** A raw HTTPS request with a bearer token: status and parsed body. */
function raw(method: string, path: string, token: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: unknown }> {
  const cluster = admin.getCurrentCluster()!;
  const url = new URL(path, cluster.server);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca: Buffer.from(cluster.caData!, 'base64'), headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  });
}

const rbacApi = () => admin.makeApiClient(RbacAuthorizationV1Api);
const coreApi = () => admin.makeApiClient(CoreV1Api);
const RBAC = 'rbac.authorization.k8s.io';

async function serviceAccount(name: string, namespace = NS): Promise<void> {
  await coreApi().createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
}

interface Rule {
  verbs: string[];
  resources: string[];
  apiGroups?: string[];
  resourceNames?: string[];
}

const rule = (r: Rule) => ({ apiGroups: [''], ...r });
const saSubject = (name: string) => ({ kind: 'ServiceAccount', name, namespace: NS });

async function role(name: string, rules: Rule[], namespace = NS): Promise<void> {
  await rbacApi().createNamespacedRole({ namespace, body: { metadata: { name }, rules: rules.map(rule) } });
}

async function roleBinding(name: string, roleRef: { kind: 'Role' | 'ClusterRole'; name: string }, subjects: { kind: string; name: string; namespace?: string }[], namespace = NS): Promise<void> {
  await rbacApi().createNamespacedRoleBinding({ namespace, body: { metadata: { name }, roleRef: { apiGroup: RBAC, ...roleRef }, subjects } });
}

async function token(sa: string, namespace = NS, ...extra: string[]): Promise<string> {
  return (await kubectl('create', 'token', sa, '-n', namespace, ...extra)).trim();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-rbac-emu-'));
  kube = await startKubeEmulator({ stateDir: dir, timeFactor: 0.01 });
  admin = new KubeConfig();
  admin.loadFromString(kube.kubeconfig);
  await coreApi().createNamespace({ body: { metadata: { name: NS } } });
  await serviceAccount('reader');
  await serviceAccount('nobody');
}, 30_000);

afterAll(async () => {
  await kube?.stop();
});

describe('ServiceAccount tokens', () => {
  it('kubectl create token issues a token that authenticates as the ServiceAccount', async () => {
    const t = await token('nobody');
    const r = await raw('GET', `/api/v1/namespaces/${NS}/pods`, t);
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `pods is forbidden: User "system:serviceaccount:${NS}:nobody" cannot list resource "pods" in API group "" in the namespace "${NS}"`,
      reason: 'Forbidden',
      details: { kind: 'pods' },
      code: 403,
    });
  });

  it('answers 401 for a garbage token, a token for another audience, and the token of a deleted ServiceAccount', async () => {
    expect((await raw('GET', '/api/v1/namespaces', 'not-a-token')).status).toBe(401);
    expect((await raw('GET', '/api/v1/namespaces', await token('nobody', NS, '--audience', 'vault'))).status).toBe(401);
    await serviceAccount('gone');
    const t = await token('gone');
    expect((await raw('GET', `/api/v1/namespaces/${NS}/serviceaccounts/gone`, t)).status).toBe(403);
    await coreApi().deleteNamespacedServiceAccount({ name: 'gone', namespace: NS });
    const r = await raw('GET', `/api/v1/namespaces/${NS}/serviceaccounts/gone`, t);
    expect(r).toEqual({ status: 401, body: expect.objectContaining({ kind: 'Status', reason: 'Unauthorized', code: 401 }) });
  });

  it('refuses a TokenRequest shorter than 10 minutes, and one for a missing ServiceAccount', async () => {
    const short = await raw('POST', `/api/v1/namespaces/${NS}/serviceaccounts/nobody/token`, 'sandbox', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 60 } });
    expect(short.status).toBe(422);
    expect(await kubectlFails('create', 'token', 'missing', '-n', NS)).toMatch(/serviceaccounts "missing" not found/);
  });

  it('the admin kubeconfig stays all-powerful', async () => {
    expect(await kubectl('get', 'clusterroles', '-o', 'name')).toBe('');
    expect((await kubectl('auth', 'can-i', 'create', 'clusterrolebindings')).trim()).toBe('yes');
  });
});

describe('RBAC for ServiceAccounts', () => {
  beforeAll(async () => {
    await role('pod-reader', [{ verbs: ['get', 'list', 'watch'], resources: ['pods'] }]);
    await roleBinding('reader-pods', { kind: 'Role', name: 'pod-reader' }, [saSubject('reader')]);
  });

  it('allows what a bound Role grants, in its namespace only', async () => {
    const core = tokenConfig(await token('reader')).makeApiClient(CoreV1Api);
    await expect(core.listNamespacedPod({ namespace: NS })).resolves.toMatchObject({ items: [] });
    await expect(core.listNamespacedPod({ namespace: 'default' })).rejects.toMatchObject({ code: 403 });
    await expect(core.listNamespacedSecret({ namespace: NS })).rejects.toMatchObject({ code: 403 });
    await expect(core.deleteNamespacedPod({ name: 'x', namespace: NS })).rejects.toMatchObject({ code: 403 });
  });

  it('names the object, the subresource and the cluster scope in the 403 message', async () => {
    const t = await token('reader');
    expect(((await raw('GET', `/api/v1/namespaces/${NS}/pods/web/log`, t)).body as { message: string }).message).toBe(
      `pods "web" is forbidden: User "system:serviceaccount:${NS}:reader" cannot get resource "pods/log" in API group "" in the namespace "${NS}"`,
    );
    expect(((await raw('GET', '/apis/apps/v1/deployments', t)).body as { message: string }).message).toBe(
      `deployments.apps is forbidden: User "system:serviceaccount:${NS}:reader" cannot list resource "deployments" in API group "apps" at the cluster scope`,
    );
  });

  it('binds ClusterRoles through RoleBindings (namespaced) and ClusterRoleBindings (everywhere), to groups too', async () => {
    await rbacApi().createClusterRole({ body: { metadata: { name: 'cm-editor' }, rules: [rule({ verbs: ['get', 'list', 'create', 'patch'], resources: ['configmaps'] })] } });
    await rbacApi().createClusterRole({ body: { metadata: { name: 'ns-lister' }, rules: [rule({ verbs: ['list'], resources: ['namespaces'] })] } });
    await serviceAccount('editor');
    await roleBinding('editor-cm', { kind: 'ClusterRole', name: 'cm-editor' }, [saSubject('editor')]);
    await rbacApi().createClusterRoleBinding({
      body: { metadata: { name: 'all-sa-list-ns' }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'ns-lister' }, subjects: [{ kind: 'Group', name: `system:serviceaccounts:${NS}`, apiGroup: RBAC }] },
    });
    const core = tokenConfig(await token('editor')).makeApiClient(CoreV1Api);
    await expect(core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'c1' } } })).resolves.toBeDefined();
    await expect(core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'c1' } } })).rejects.toMatchObject({ code: 403 });
    await expect(core.listNamespace()).resolves.toBeDefined();
    const nobody = tokenConfig(await token('nobody')).makeApiClient(CoreV1Api);
    await expect(nobody.listNamespace()).resolves.toBeDefined();
    await rbacApi().deleteClusterRoleBinding({ name: 'all-sa-list-ns' });
    await expect(nobody.listNamespace()).rejects.toMatchObject({ code: 403 });
  });

  it('needs create as well as patch for a server-side apply that creates', async () => {
    await role('cm-patcher', [{ verbs: ['patch'], resources: ['configmaps'] }]);
    await serviceAccount('patcher');
    await roleBinding('patcher', { kind: 'Role', name: 'cm-patcher' }, [saSubject('patcher')]);
    const t = await token('patcher');
    const apply = (name: string) =>
      raw('PATCH', `/api/v1/namespaces/${NS}/configmaps/${name}?fieldManager=test`, t, JSON.stringify(new ConfigMap({ metadata: { name }, data: { a: '1' } }).toJSON()), 'application/apply-patch+yaml');
    const created = await apply('new-one');
    expect(created.status).toBe(403);
    expect((created.body as { message: string }).message).toBe(
      `configmaps "new-one" is forbidden: User "system:serviceaccount:${NS}:patcher" cannot create resource "configmaps" in API group "" in the namespace "${NS}"`,
    );
    expect((await apply('c1')).status).toBe(200);
  });

  it('limits a rule with resourceNames to those names; a Role holding * allows everything in its namespace', async () => {
    await role('one-secret', [{ verbs: ['get'], resources: ['secrets'], resourceNames: ['s1'] }]);
    await serviceAccount('named');
    await roleBinding('named', { kind: 'Role', name: 'one-secret' }, [saSubject('named')]);
    for (const name of ['s1', 's2']) await coreApi().createNamespacedSecret({ namespace: NS, body: { metadata: { name }, stringData: { k: 'v' } } });
    const core = tokenConfig(await token('named')).makeApiClient(CoreV1Api);
    await expect(core.readNamespacedSecret({ name: 's1', namespace: NS })).resolves.toBeDefined();
    await expect(core.readNamespacedSecret({ name: 's2', namespace: NS })).rejects.toMatchObject({ code: 403 });
    await expect(core.listNamespacedSecret({ namespace: NS })).rejects.toMatchObject({ code: 403 });

    await role('all', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]);
    await roleBinding('all', { kind: 'Role', name: 'all' }, [saSubject('named')]);
    await expect(core.listNamespacedSecret({ namespace: NS })).resolves.toBeDefined();
    await expect(core.listNamespacedSecret({ namespace: 'default' })).rejects.toMatchObject({ code: 403 });
  });

  it('answers kubectl auth can-i (SelfSubjectAccessReview) for the caller, and for --as', async () => {
    const t = await token('reader');
    const server = admin.getCurrentCluster()!.server;
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, Buffer.from(admin.getCurrentCluster()!.caData!, 'base64'));
    const canI = async (...args: string[]) => {
      try {
        return (await run('kubectl', ['--server', server, '--certificate-authority', caFile, '--token', t, 'auth', 'can-i', ...args])).stdout.trim();
      } catch (e) {
        return String((e as { stdout?: string }).stdout).trim();
      }
    };
    expect(await canI('list', 'pods', '-n', NS)).toBe('yes');
    expect(await canI('delete', 'pods', '-n', NS)).toBe('no');
    expect(await canI('list', 'pods', '-n', 'default')).toBe('no');
    const as = async (...args: string[]) => (await kubectl('auth', 'can-i', '--as', `system:serviceaccount:${NS}:reader`, ...args).catch((e: { stdout?: string }) => String(e.stdout))).trim();
    expect(await as('watch', 'pods', '-n', NS)).toBe('yes');
    expect(await as('create', 'pods', '-n', NS)).toBe('no');
  });

  it('serves the RBAC kinds in discovery, as kubectl sees them', async () => {
    const out = await kubectl('api-resources', '--api-group=rbac.authorization.k8s.io', '-o', 'name');
    expect(out.split('\n').filter(Boolean).sort()).toEqual([
      'clusterrolebindings.rbac.authorization.k8s.io',
      'clusterroles.rbac.authorization.k8s.io',
      'rolebindings.rbac.authorization.k8s.io',
      'roles.rbac.authorization.k8s.io',
    ]);
  });
});

describe('iotedge-k8s install | kubectl apply --server-side -f -', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  /** `iotedge-k8s install ARGS | kubectl apply --server-side -f - EXTRA`. */
  async function installPipe(args: string[], extra: string[] = []): Promise<{ code: number; out: string }> {
    const install = spawn(process.execPath, [binPath, 'install', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const apply = spawn('kubectl', ['--kubeconfig', kube.kubeconfigPath!, 'apply', '--server-side', '-f', '-', ...extra], { stdio: ['pipe', 'pipe', 'pipe'] });
    install.stdout.pipe(apply.stdin);
    let out = '';
    apply.stdout.on('data', (d) => (out += d));
    apply.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number>((resolve) => apply.on('close', (c) => resolve(c ?? -1)));
    return { code, out };
  }

  it('applies, with --dry-run=server first (which, as on a real server, needs the namespace to exist)', async () => {
    const args = ['--namespace', 'site-9', '--credential-secret', 'creds', '--pod-security', 'restricted', '--replicas', '2'];
    await coreApi().createNamespace({ body: { metadata: { name: 'site-9' } } });
    const dry = await installPipe(args, ['--dry-run=server']);
    expect(dry).toEqual({ code: 0, out: expect.stringContaining('role.rbac.authorization.k8s.io/iotedge-k8s serverside-applied (server dry run)') });
    await expect(kubectl('get', 'role', 'iotedge-k8s', '-n', 'site-9')).rejects.toBeDefined();
    const real = await installPipe(args);
    expect(real.code).toBe(0);
    for (const o of ['namespace/site-9', 'serviceaccount/iotedge-k8s', 'role.rbac.authorization.k8s.io/iotedge-k8s', 'rolebinding.rbac.authorization.k8s.io/iotedge-k8s', 'deployment.apps/iotedge-k8s', 'service/iotedge-k8s-metrics']) {
      expect(real.out).toContain(`${o} serverside-applied`);
    }
    const role = JSON.parse(await kubectl('get', 'role', 'iotedge-k8s', '-n', 'site-9', '-o', 'json'));
    expect(JSON.stringify(role.rules)).not.toContain('*');
    expect(JSON.parse(await kubectl('get', 'namespace', 'site-9', '-o', 'json')).metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(JSON.parse(await kubectl('get', 'deployment', 'iotedge-k8s', '-n', 'site-9', '-o', 'json')).spec.replicas).toBe(2);
    const canI = (verb: string, resource: string, ...more: string[]) =>
      kubectl('auth', 'can-i', verb, resource, ...more, '-n', 'site-9', '--as', 'system:serviceaccount:site-9:iotedge-k8s').then((o) => o.trim(), (e: { stdout?: string }) => String(e.stdout).trim());
    expect(await canI('patch', 'deployments.apps')).toBe('yes');
    expect(await canI('get', 'pods', '--subresource=log')).toBe('yes');
    expect(await canI('create', 'roles.rbac.authorization.k8s.io')).toBe('no');
    expect(await canI('get', 'configmaps')).toBe('no');
  }, 60_000);

  it('applies again over itself', async () => {
    const again = await installPipe(['--namespace', 'site-9', '--credential-secret', 'creds', '--pod-security', 'restricted', '--replicas', '2']);
    expect(again.code).toBe(0);
    expect(again.out).toContain('deployment.apps/iotedge-k8s serverside-applied');
  }, 60_000);
});
