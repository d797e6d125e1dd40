import { parseAllDocuments } from 'yaml';
import { BRIDGE_RULES, installManifests, type InstallOptions } from '../../../translator/cli/install.js';
import { main, type Io } from '../../../translator/cli/main.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary object fields
type Json = any;

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (t) => (out += t), stderr: (t) => (err += t) };
  return { code: await main(argv, io), out, err };
}

const base: InstallOptions = { namespace: 'site-7', credentialSecret: 'camera-01-credentials' };
const byKind = (objects: Json[], kind: string): Json => objects.find((o) => o.kind === kind);

describe('installManifests', () => {
  const objects: Json[] = installManifests(base);

  it('gives Namespace, ServiceAccount, Role, RoleBinding, Deployment and metrics Service, in the namespace', () => {
    expect(objects.map((o) => o.kind)).toEqual(['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'Deployment', 'Service']);
    expect(objects[0].metadata.name).toBe('site-7');
    for (const o of objects.slice(1)) expect(o.metadata.namespace).toBe('site-7');
    expect(objects.some((o) => o.kind.startsWith('Cluster'))).toBe(false);
  });

  it('binds the Role to the ServiceAccount the Deployment runs as', () => {
    const binding = byKind(objects, 'RoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: byKind(objects, 'Role').metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: byKind(objects, 'ServiceAccount').metadata.name, namespace: 'site-7' }]);
    expect(byKind(objects, 'Deployment').spec.template.spec.serviceAccountName).toBe(byKind(objects, 'ServiceAccount').metadata.name);
  });

  it('grants no wildcard, and namespaces only by the namespace name', () => {
    const rules: Json[] = byKind(objects, 'Role').rules;
    expect(rules).toHaveLength(BRIDGE_RULES.length);
    for (const r of rules) {
      for (const list of [r.apiGroups, r.resources, r.verbs]) {
        expect(list.length).toBeGreaterThan(0);
        expect(list).not.toContain('*');
      }
      expect(r.verbs).not.toContain('escalate');
    }
    expect(rules.find((r) => r.resources.includes('namespaces'))).toEqual({ apiGroups: [''], resources: ['namespaces'], verbs: ['get'], resourceNames: ['site-7'] });
    expect(rules.find((r) => r.resources.includes('leases'))).toEqual({ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] });
  });

  it('runs the bridge hardened, probed, limited, with the credential from the Secret', () => {
    const pod = byKind(objects, 'Deployment').spec.template.spec;
    const c = pod.containers[0];
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'ops' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'ops' });
    expect(c.ports).toEqual([{ name: 'ops', containerPort: 9600, protocol: 'TCP' }]);
    expect(Object.keys(c.resources.requests).sort()).toEqual(['cpu', 'memory']);
    expect(Object.keys(c.resources.limits).sort()).toEqual(['cpu', 'memory']);
    expect(c.args).toEqual(['run', '--namespace', 'site-7', '--ops-host', '0.0.0.0', '--ops-port', '9600', '--leader-elect']);
    expect(c.env).toEqual([
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'IOTEDGE_K8S_CONNECTION_STRING', valueFrom: { secretKeyRef: { name: 'camera-01-credentials', key: 'connectionString', optional: true } } },
      { name: 'IOTEDGE_K8S_DEVICE_CONNECTION_STRING', valueFrom: { secretKeyRef: { name: 'camera-01-credentials', key: 'deviceConnectionString', optional: true } } },
    ]);
    expect(byKind(objects, 'Deployment').spec.replicas).toBe(1);
  });

  it('exposes /metrics through a ClusterIP Service selecting the bridge pods', () => {
    const svc = byKind(objects, 'Service');
    const template = byKind(objects, 'Deployment').spec.template.metadata.labels;
    expect(svc.spec.ports).toEqual([{ name: 'metrics', port: 9600, targetPort: 'ops', protocol: 'TCP' }]);
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(template[k]).toBe(v);
    expect(byKind(objects, 'Deployment').spec.selector.matchLabels).toEqual(svc.spec.selector);
  });

  it('takes replicas, image, secret keys and the pod security level', () => {
    const o: Json[] = installManifests({ ...base, replicas: 3, image: 'registry.local/iotedge-k8s:1.2.3', podSecurity: 'restricted', connectionStringKey: 'agent', deviceConnectionStringKey: 'device' });
    const d = byKind(o, 'Deployment');
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.spec.containers[0].image).toBe('registry.local/iotedge-k8s:1.2.3');
    expect(d.spec.template.spec.containers[0].args.slice(-2)).toEqual(['--pod-security', 'restricted']);
    expect(d.spec.template.spec.containers[0].env.map((e: Json) => e.valueFrom.secretKeyRef?.key)).toEqual([undefined, 'agent', 'device']);
    expect(byKind(o, 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(byKind(objects, 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce']).toBeUndefined();
  });
});

describe('installManifests for Azure Stack Edge style clusters', () => {
  it('passes more run arguments and can leave the Namespace to an administrator', () => {
    const o: Json[] = installManifests({ ...base, runArgs: ['--volume-binding=pre-provisioned'], withoutNamespace: true });
    expect(o.map((x) => x.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding', 'Deployment', 'Service']);
    expect(byKind(o, 'Deployment').spec.template.spec.containers[0].args.at(-1)).toBe('--volume-binding=pre-provisioned');
    expect(() => installManifests({ ...base, runArgs: ['volume binding'] })).toThrow("run argument 'volume binding' must be an option");
  });
});

describe('iotedge-k8s install', () => {
  it('takes --run-arg and --without-namespace', async () => {
    const r = await run('install', '--namespace', 'site-7', '--credential-secret', 'creds', '--run-arg=--volume-binding=pre-provisioned', '--run-arg=--service-type=LoadBalancer', '--without-namespace', '-o', 'json');
    expect(r.code).toBe(0);
    const items: Json[] = JSON.parse(r.out).items;
    expect(items[0].kind).toBe('ServiceAccount');
    expect(byKind(items, 'Deployment').spec.template.spec.containers[0].args.slice(-2)).toEqual(['--volume-binding=pre-provisioned', '--service-type=LoadBalancer']);
  });


  it('prints the manifests as YAML documents', async () => {
    const r = await run('install', '--namespace', 'site-7', '--credential-secret', 'creds', '--replicas', '2', '--pod-security', 'baseline');
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.out).map((d) => d.toJS());
    expect(docs).toEqual(installManifests({ namespace: 'site-7', credentialSecret: 'creds', replicas: 2, podSecurity: 'baseline' }));
  });

  it.each([
    [['--namespace', 'Bad_NS', '--credential-secret', 'c'], 2, /DNS-1123 label/],
    [['--namespace', 'ns', '--credential-secret', 'Not A Secret'], 1, /^error: credential secret 'Not A Secret' must be a DNS-1123 subdomain\n$/],
    [['--namespace', 'ns', '--credential-secret', 'c', '--replicas', '0'], 2, /not a positive integer/],
    [['--namespace', 'ns', '--credential-secret', 'c', '--pod-security', 'strict'], 2, /Allowed choices are privileged, baseline, restricted/],
    [['--credential-secret', 'c'], 2, /required option '--namespace <ns>' not specified/],
  ])('rejects %j with exit %i and one clear message', async (args, code, message) => {
    const r = await run('install', ...args);
    expect(r.code).toBe(code);
    expect(r.out).toBe('');
    expect(r.err).toMatch(message);
  });
});
