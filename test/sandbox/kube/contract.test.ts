/**
 * Contract suite: the Kubernetes API as @kubernetes/client-node sees it. Runs on
 * the emulator, or unchanged on a real cluster when KUBECONFIG is set. Assertions
 * only use the API, never emulator internals.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { apiError, IMAGES, openCluster, waitFor, type TestCluster } from './harness.js';

jest.setTimeout(60_000);

let cluster: TestCluster;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let batch: k8s.BatchV1Api;
let objects: k8s.KubernetesObjectApi;
let ns: string;

beforeAll(async () => {
  cluster = await openCluster('contract');
  ns = cluster.namespace;
  core = cluster.kc.makeApiClient(k8s.CoreV1Api);
  apps = cluster.kc.makeApiClient(k8s.AppsV1Api);
  batch = cluster.kc.makeApiClient(k8s.BatchV1Api);
  objects = k8s.KubernetesObjectApi.makeApiClient(cluster.kc);
});

afterAll(async () => {
  await cluster?.close();
});

function deployment(name: string, replicas: number, image: { image: string; command: readonly string[] } = IMAGES.logger): k8s.V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image: image.image, command: [...image.command] }] },
      },
    },
  };
}

describe('target', () => {
  if (!process.env.KUBECONFIG) console.log('KUBECONFIG is not set: the contract suite runs on the emulator; the real-cluster run is skipped');
  (process.env.KUBECONFIG ? test : test.skip)('runs against the real cluster named by KUBECONFIG', async () => {
    expect(cluster.emulated).toBe(false);
    const version = await cluster.kc.makeApiClient(k8s.VersionApi).getCode();
    expect(version.major).toBe('1');
  });
});

describe('CRUD and errors', () => {
  test('create, get, list, update, delete a ConfigMap with Status errors', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'crud' }, data: { a: '1' } } });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);

    const dup = await apiError(core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'crud' } } }));
    expect(dup.code).toBe(409);
    expect(dup.status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409 });

    const read = await core.readNamespacedConfigMap({ namespace: ns, name: 'crud' });
    expect(read.data).toEqual({ a: '1' });
    read.data = { a: '2' };
    const updated = await core.replaceNamespacedConfigMap({ namespace: ns, name: 'crud', body: read });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));

    const list = await core.listNamespacedConfigMap({ namespace: ns });
    expect(list.items.map((c) => c.metadata?.name)).toContain('crud');

    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'crud' });
    const missing = await apiError(core.readNamespacedConfigMap({ namespace: ns, name: 'crud' }));
    expect(missing.code).toBe(404);
    expect(missing.status).toMatchObject({ reason: 'NotFound', details: { name: 'crud', kind: 'configmaps' } });
  });

  test('Secrets: stringData is folded into base64 data; invalid base64 is a 400', async () => {
    const secret = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'sec' }, stringData: { user: 'admin' }, data: { other: 'eA==' } } });
    expect(secret.data).toEqual({ user: Buffer.from('admin').toString('base64'), other: 'eA==' });
    expect(secret.stringData).toBeUndefined();
    expect(secret.type).toBe('Opaque');
    const bad = await apiError(core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'badsec' }, data: { x: 'not base64!' } } }));
    expect(bad.code).toBe(400);
  });

  test('update with a stale resourceVersion is a 409 Conflict', async () => {
    const first = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'stale' }, data: { v: '1' } } });
    await core.replaceNamespacedConfigMap({ namespace: ns, name: 'stale', body: { ...first, data: { v: '2' } } });
    const err = await apiError(core.replaceNamespacedConfigMap({ namespace: ns, name: 'stale', body: { ...first, data: { v: '3' } } }));
    expect(err.code).toBe(409);
    expect(err.status.reason).toBe('Conflict');
  });

  test('metadata.generation is bumped by spec changes only', async () => {
    const d = await apps.createNamespacedDeployment({ namespace: ns, body: deployment('gen', 0) });
    expect(d.metadata?.generation).toBe(1);
    const labelled = await objects.patch(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'gen', namespace: ns, labels: { extra: 'x' } } } as k8s.KubernetesObject,
      undefined, undefined, 'contract', undefined, k8s.PatchStrategy.MergePatch,
    );
    expect(labelled.metadata?.generation).toBe(1);
    const scaled = await objects.patch(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'gen', namespace: ns }, spec: { replicas: 0, paused: true } } as k8s.KubernetesObject,
      undefined, undefined, 'contract', undefined, k8s.PatchStrategy.MergePatch,
    );
    expect(scaled.metadata?.generation).toBe(2);
  });
});

describe('selectors', () => {
  beforeAll(async () => {
    const labels: Array<Record<string, string>> = [{ tier: 'web', env: 'prod' }, { tier: 'db', env: 'prod' }, { tier: 'web' }];
    for (const [i, l] of labels.entries()) {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `sel-${i}`, labels: { ...l, group: 'sel' } } } });
    }
  });

  const names = async (labelSelector: string, fieldSelector?: string) =>
    (await core.listNamespacedConfigMap({ namespace: ns, labelSelector: `group=sel,${labelSelector}`, fieldSelector })).items
      .map((c) => c.metadata?.name)
      .sort();

  test.each([
    ['tier=web', ['sel-0', 'sel-2']],
    ['tier==db', ['sel-1']],
    ['tier!=web', ['sel-1']],
    ['env in (prod,staging)', ['sel-0', 'sel-1']],
    ['env notin (prod)', ['sel-2']],
    ['env', ['sel-0', 'sel-1']],
    ['!env', ['sel-2']],
  ])('labelSelector %s', async (selector, expected) => {
    expect(await names(selector)).toEqual(expected);
  });

  test('fieldSelector metadata.name and metadata.namespace', async () => {
    expect(await names('tier', 'metadata.name=sel-1')).toEqual(['sel-1']);
    expect(await names('tier', 'metadata.name!=sel-1')).toEqual(['sel-0', 'sel-2']);
    expect(await names('tier', `metadata.namespace=${ns}`)).toEqual(['sel-0', 'sel-1', 'sel-2']);
  });

  test('an unsupported field selector is a 400', async () => {
    const err = await apiError(core.listNamespacedConfigMap({ namespace: ns, fieldSelector: 'spec.nothing=1' }));
    expect(err.code).toBe(400);
  });
});

describe('watch', () => {
  test('ADDED/MODIFIED/DELETED from a list resourceVersion, resume, and 410 for an expired version', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    const watch = new k8s.Watch(cluster.kc);
    const seen: Array<{ type: string; name?: string; rv?: string }> = [];
    const controller = await watch.watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: list.metadata?.resourceVersion, labelSelector: 'w=1' },
      (type, obj: k8s.V1ConfigMap) => seen.push({ type, name: obj.metadata?.name, rv: obj.metadata?.resourceVersion }),
      () => undefined,
    );
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'w1', labels: { w: '1' } } } });
    await core.patchNamespacedConfigMap({ namespace: ns, name: 'w1', body: { data: { x: 'y' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'w1' });
    await waitFor('three events', async () => (seen.length >= 3 ? true : undefined));
    controller.abort();
    expect(seen.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);

    const resumed: string[] = [];
    const resumeController = await watch.watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: seen[1]!.rv, labelSelector: 'w=1' },
      (type) => resumed.push(type),
      () => undefined,
    );
    await waitFor('resumed delete', async () => (resumed.length >= 1 ? true : undefined));
    resumeController.abort();
    expect(resumed).toEqual(['DELETED']);

    const errors: Array<{ type: string; code?: number; reason?: string }> = [];
    const expiredController = await watch.watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: '1' },
      (type, obj: { code?: number; reason?: string }) => errors.push({ type, code: obj.code, reason: obj.reason }),
      () => undefined,
    );
    await waitFor('410 error event', async () => (errors.length >= 1 ? true : undefined));
    expiredController.abort();
    expect(errors[0]).toEqual({ type: 'ERROR', code: 410, reason: 'Expired' });
  });

  test('an informer lists then follows changes', async () => {
    const informer = k8s.makeInformer(cluster.kc, `/api/v1/namespaces/${ns}/configmaps`, () => core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'inf=1' }), 'inf=1');
    const added: string[] = [];
    informer.on('add', (obj) => added.push(obj.metadata?.name ?? ''));
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'inf-before', labels: { inf: '1' } } } });
    await informer.start();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'inf-after', labels: { inf: '1' } } } });
    await waitFor('informer adds', async () => (added.length >= 2 ? true : undefined));
    await informer.stop();
    expect(added.sort()).toEqual(['inf-after', 'inf-before']);
    expect(informer.list().map((o) => o.metadata?.name).sort()).toEqual(['inf-after', 'inf-before']);
  });
});

describe('server-side apply', () => {
  const cm = (data: Record<string, string>, labels?: Record<string, string>): k8s.KubernetesObject & { data: Record<string, string> } => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'ssa', namespace: ns, ...(labels ? { labels } : {}) },
    data,
  });
  const apply = (obj: k8s.KubernetesObject, manager: string, force = false) =>
    objects.patch(obj, undefined, undefined, manager, force, k8s.PatchStrategy.ServerSideApply);

  test('create, no-op, conflict, force and field removal', async () => {
    const created = (await apply(cm({ a: '1', b: '2' }, { owner: 'alice' }), 'alice')) as k8s.V1ConfigMap;
    expect(created.data).toEqual({ a: '1', b: '2' });
    const alice = created.metadata?.managedFields?.find((m) => m.manager === 'alice');
    expect(alice?.operation).toBe('Apply');
    expect(alice?.fieldsV1).toMatchObject({ 'f:data': { 'f:a': {}, 'f:b': {} } });

    const again = (await apply(cm({ a: '1', b: '2' }, { owner: 'alice' }), 'alice')) as k8s.V1ConfigMap;
    expect(again.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);

    const conflict = await apiError(apply(cm({ a: 'bob' }), 'bob'));
    expect(conflict.code).toBe(409);
    expect(conflict.status.reason).toBe('Conflict');
    expect(String(conflict.status.message)).toContain('conflict with "alice"');
    expect(String(conflict.status.message)).toContain('.data.a');

    const forced = (await apply(cm({ a: 'bob' }), 'bob', true)) as k8s.V1ConfigMap;
    expect(forced.data).toEqual({ a: 'bob', b: '2' });

    const shrunk = (await apply(cm({ b: '2' }), 'alice')) as k8s.V1ConfigMap;
    expect(shrunk.data).toEqual({ a: 'bob', b: '2' });
    expect(shrunk.metadata?.labels?.owner).toBeUndefined();

    const dropped = (await apply(cm({ c: '3' }), 'alice')) as k8s.V1ConfigMap;
    expect(dropped.data).toEqual({ a: 'bob', c: '3' });
  });

  test('apply without fieldManager is rejected', async () => {
    const err = await apiError(objects.patch(cm({ z: '1' }), undefined, undefined, undefined, undefined, k8s.PatchStrategy.ServerSideApply));
    expect(err.code).toBe(400);
  });

  test('dryRun=All does not persist', async () => {
    await objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry', namespace: ns } }, undefined, 'All');
    const err = await apiError(core.readNamespacedConfigMap({ namespace: ns, name: 'dry' }));
    expect(err.code).toBe(404);
  });
});

describe('patches', () => {
  test('strategic merge patch merges containers by name; merge patch replaces lists', async () => {
    const d = deployment('smp', 0);
    d.spec!.template.spec!.containers.push({ name: 'side', image: IMAGES.logger.image, command: [...IMAGES.logger.command] });
    await apps.createNamespacedDeployment({ namespace: ns, body: d });
    const patched = await apps.patchNamespacedDeployment(
      { namespace: ns, name: 'smp', body: { spec: { template: { spec: { containers: [{ name: 'side', env: [{ name: 'X', value: '1' }] }] } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    const containers = patched.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => c.name)).toEqual(['main', 'side']);
    expect(containers[1]?.env).toEqual([{ name: 'X', value: '1' }]);
    expect(containers[1]?.image).toBe(IMAGES.logger.image);

    const merged = await apps.patchNamespacedDeployment(
      { namespace: ns, name: 'smp', body: { metadata: { labels: { extra: 'yes' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(merged.metadata?.labels).toEqual({ app: 'smp', extra: 'yes' });
  });
});

describe('validation and defaulting', () => {
  test('invalid names, ports and selectors are 422 Invalid with field causes', async () => {
    const badName = await apiError(core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'Bad_Name' } } }));
    expect(badName.code).toBe(422);
    expect(badName.status.reason).toBe('Invalid');
    expect((badName.status.details as { causes: Array<{ field: string }> }).causes.map((c) => c.field)).toContain('metadata.name');

    const badPort = await apiError(
      core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'badport' }, spec: { ports: [{ port: 70000 }] } } }),
    );
    expect(badPort.code).toBe(422);
    expect((badPort.status.details as { causes: Array<{ field: string }> }).causes.map((c) => c.field)).toContain('spec.ports[0].port');

    const badSvcName = await apiError(core.createNamespacedService({ namespace: ns, body: { metadata: { name: '1svc' }, spec: { ports: [{ port: 80 }] } } }));
    expect(badSvcName.code).toBe(422);

    const mismatch = deployment('mismatch', 1);
    mismatch.spec!.template.metadata!.labels = { app: 'other' };
    const sel = await apiError(apps.createNamespacedDeployment({ namespace: ns, body: mismatch }));
    expect(sel.code).toBe(422);
    expect((sel.status.details as { causes: Array<{ field: string }> }).causes.map((c) => c.field)).toContain('spec.template.metadata.labels');
  });

  test('immutable fields: Deployment selector and Service clusterIP', async () => {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('immut', 0) });
    const err = await apiError(
      apps.patchNamespacedDeployment(
        { namespace: ns, name: 'immut', body: { spec: { selector: { matchLabels: { app: 'immut', x: 'y' } }, template: { metadata: { labels: { app: 'immut', x: 'y' } } } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    expect(err.code).toBe(422);
    expect(String(err.status.message)).toContain('field is immutable');

    const svc = await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'immut' }, spec: { ports: [{ port: 80 }] } } });
    const octets = svc.spec!.clusterIP!.split('.').map(Number);
    const changed = `${octets[0]}.${octets[1]}.${octets[2]}.${(octets[3]! + 1) % 250}`;
    const ipErr = await apiError(
      core.patchNamespacedService({ namespace: ns, name: 'immut', body: { spec: { clusterIP: changed, clusterIPs: [changed] } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)),
    );
    expect(ipErr.code).toBe(422);
  });

  test('Deployment, Service and Job defaults', async () => {
    const d = deployment('defaults', 0);
    d.spec!.replicas = undefined;
    d.spec!.template.spec!.containers.push({ name: 'latest', image: 'busybox', command: ['true'] });
    const created = await apps.createNamespacedDeployment({ namespace: ns, body: d, dryRun: 'All' });
    expect(created.spec?.replicas).toBe(1);
    expect(created.spec?.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    expect(created.spec?.revisionHistoryLimit).toBe(10);
    expect(created.spec?.progressDeadlineSeconds).toBe(600);
    const pod = created.spec!.template.spec!;
    expect(pod).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30 });
    expect(pod.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
    expect(pod.containers[1]?.imagePullPolicy).toBe('Always');

    const svc = await core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'np' }, spec: { type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 8080 }] } },
    });
    expect(svc.spec?.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(svc.spec?.clusterIPs).toEqual([svc.spec?.clusterIP]);
    expect(svc.spec?.ipFamilies).toEqual(['IPv4']);
    expect(svc.spec?.sessionAffinity).toBe('None');
    const port = svc.spec!.ports![0]!;
    expect(port.protocol).toBe('TCP');
    expect(port.targetPort).toBe(8080);
    expect(port.nodePort).toBeGreaterThanOrEqual(30000);
    expect(port.nodePort).toBeLessThanOrEqual(32767);

    const job = await batch.createNamespacedJob({
      namespace: ns,
      dryRun: 'All',
      body: { metadata: { name: 'jobdefaults' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'w', ...IMAGES.worker, command: [...IMAGES.worker.command] }] } } } },
    });
    expect(job.spec).toMatchObject({ backoffLimit: 6, completions: 1, parallelism: 1, completionMode: 'NonIndexed', suspend: false });
    const uidLabel = job.spec?.selector?.matchLabels?.['batch.kubernetes.io/controller-uid'];
    expect(uidLabel).toBeTruthy();
    expect(job.spec?.template.metadata?.labels?.['batch.kubernetes.io/controller-uid']).toBe(uidLabel);
    expect(job.spec?.template.metadata?.labels?.['job-name']).toBe('jobdefaults');
  });
});

describe('quantities and the checks a real server makes', () => {
  type Causes = Array<{ field: string; message: string; reason: string }>;
  const causes = (status: Record<string, unknown>): Causes => (status.details as { causes: Causes }).causes;
  const pod = (name: string, spec: Record<string, unknown>, container: Record<string, unknown> = {}): k8s.KubernetesObject =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns },
      spec: { containers: [{ name: 'c', image: IMAGES.logger.image, command: [...IMAGES.logger.command], ...container }], ...spec },
    }) as k8s.KubernetesObject;
  const dryRun = (obj: k8s.KubernetesObject) => objects.create(obj, undefined, 'All');

  test('JSON numbers where a Quantity goes are accepted and written in canonical form', async () => {
    const created = (await dryRun(
      pod(
        'quantities',
        { volumes: [{ name: 'scratch', emptyDir: { sizeLimit: 1073741824 } }] },
        { resources: { limits: { cpu: 0.5, memory: 268435456, 'nvidia.com/gpu': 1 }, requests: { cpu: '1000m', memory: '1024Mi' } } },
      ),
    )) as k8s.V1Pod;
    expect(created.spec?.containers[0]?.resources).toEqual({
      limits: { cpu: '500m', memory: '268435456', 'nvidia.com/gpu': '1' },
      requests: { cpu: '1', memory: '1Gi' },
    });
    expect(created.spec?.volumes?.[0]?.emptyDir?.sizeLimit).toBe('1073741824');

    const claim = (await dryRun({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'numbered', namespace: ns },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: 2000 } } },
    } as k8s.KubernetesObject)) as k8s.V1PersistentVolumeClaim;
    expect(claim.spec?.resources?.requests?.storage).toBe('2k');
  });

  test('a value that is not a quantity is a 400', async () => {
    const err = await apiError(dryRun(pod('badq', {}, { resources: { limits: { cpu: 'lots' } } })));
    expect(err.code).toBe(400);
    expect(String(err.status.message)).toContain('quantities must match the regular expression');
  });

  test('a dockerconfigjson Secret needs a JSON .dockerconfigjson', async () => {
    const secret = (name: string, data: Record<string, string>) =>
      ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, type: 'kubernetes.io/dockerconfigjson', data }) as k8s.KubernetesObject;
    const missing = await apiError(dryRun(secret('nokey', { other: Buffer.from('{}').toString('base64') })));
    expect(missing.code).toBe(422);
    expect(causes(missing.status)).toEqual([expect.objectContaining({ field: 'data[.dockerconfigjson]', reason: 'FieldValueRequired' })]);
    const garbage = await apiError(dryRun(secret('nojson', { '.dockerconfigjson': Buffer.from('hunter2-not-json').toString('base64') })));
    expect(garbage.code).toBe(422);
    expect(causes(garbage.status)).toEqual([expect.objectContaining({ field: 'data[.dockerconfigjson]', reason: 'FieldValueInvalid' })]);
    expect(String(garbage.status.message)).not.toContain('hunter2');
    const good = await dryRun(secret('good', { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') }));
    expect(good.metadata?.name).toBe('good');
  });

  test('a pod hostname must be a DNS-1123 label', async () => {
    const err = await apiError(dryRun(pod('host', { hostname: 'Not_A_Label' })));
    expect(err.code).toBe(422);
    expect(causes(err.status).map((c) => c.field)).toContain('spec.hostname');
  });

  test('strategy Recreate with rollingUpdate is forbidden', async () => {
    const d = deployment('recreate', 0);
    d.spec!.strategy = { type: 'Recreate', rollingUpdate: { maxSurge: 1 } };
    const err = await apiError(apps.createNamespacedDeployment({ namespace: ns, body: d, dryRun: 'All' }));
    expect(err.code).toBe(422);
    expect(causes(err.status)).toEqual([expect.objectContaining({ field: 'spec.strategy.rollingUpdate', reason: 'FieldValueForbidden' })]);
    expect(String(err.status.message)).toContain("may not be specified when strategy `type` is 'Recreate'");
  });

  test('privileged with allowPrivilegeEscalation false is invalid', async () => {
    const err = await apiError(dryRun(pod('priv', {}, { securityContext: { privileged: true, allowPrivilegeEscalation: false } })));
    expect(err.code).toBe(422);
    expect(causes(err.status)).toEqual([expect.objectContaining({ field: 'spec.containers[0].securityContext', reason: 'FieldValueInvalid' })]);
    expect(String(err.status.message)).toContain('cannot set `allowPrivilegeEscalation` to false and `privileged` to true');
  });

  test('two volume mounts on one mountPath are invalid', async () => {
    const err = await apiError(
      dryRun(
        pod(
          'mounts',
          { volumes: [{ name: 'a', emptyDir: {} }, { name: 'b', emptyDir: {} }] },
          { volumeMounts: [{ name: 'a', mountPath: '/data' }, { name: 'b', mountPath: '/data' }] },
        ),
      ),
    );
    expect(err.code).toBe(422);
    expect(causes(err.status)).toEqual([expect.objectContaining({ field: 'spec.containers[0].volumeMounts[1].mountPath', message: 'Invalid value: "/data": must be unique' })]);
  });

  test('a pod image with leading or trailing whitespace is invalid', async () => {
    const err = await apiError(dryRun(pod('spaces', {}, { image: ' busybox:1.36' })));
    expect(err.code).toBe(422);
    expect(causes(err.status)).toEqual([expect.objectContaining({ field: 'spec.containers[0].image', message: 'Invalid value: " busybox:1.36": must not have leading or trailing whitespace' })]);
  });
});

describe('simulated cluster behaviour', () => {
  test('Deployment -> ReplicaSet -> Pods Running, and the status reports it', async () => {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 2) });
    const ready = await waitFor('deployment ready', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
      return d.status?.readyReplicas === 2 && d.status.availableReplicas === 2 && d.status.observedGeneration === d.metadata?.generation ? d : undefined;
    });
    expect(ready.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    const rsList = await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=web' });
    expect(rsList.items).toHaveLength(1);
    const rs = rsList.items[0]!;
    expect(rs.metadata?.labels?.['pod-template-hash']).toBeTruthy();
    expect(rs.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', controller: true });
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web', fieldSelector: 'status.phase=Running' });
    expect(pods.items).toHaveLength(2);
    expect(pods.items.every((p) => p.metadata?.ownerReferences?.[0]?.uid === rs.metadata?.uid)).toBe(true);
  });

  test('pod logs', async () => {
    const pod = await waitFor('a running web pod', async () => (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web', fieldSelector: 'status.phase=Running' })).items[0]);
    const log = await waitFor('log line', async () => {
      const text = await core.readNamespacedPodLog({ namespace: ns, name: pod.metadata!.name! });
      return text.includes('hello') ? text : undefined;
    });
    expect(log).toContain('hello\n');
    const stamped = await core.readNamespacedPodLog({ namespace: ns, name: pod.metadata!.name!, timestamps: true, tailLines: 1 });
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z hello\n$/);
  });

  test('garbage collection: Background deletes dependents, Orphan keeps them', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'owner' } } });
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! };
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'dependent', ownerReferences: [ref] } } });
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'owner', propagationPolicy: 'Background' });
    await waitFor('dependent collected', async () => {
      const err = await apiError(core.readNamespacedConfigMap({ namespace: ns, name: 'dependent' }));
      return err.code === 404 ? true : undefined;
    });

    const owner2 = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'owner2' } } });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'orphan', ownerReferences: [{ ...ref, name: 'owner2', uid: owner2.metadata!.uid! }] } },
    });
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'owner2', propagationPolicy: 'Orphan' });
    const orphan = await waitFor('orphan released', async () => {
      const cm = await core.readNamespacedConfigMap({ namespace: ns, name: 'orphan' });
      return (cm.metadata?.ownerReferences ?? []).length === 0 ? cm : undefined;
    });
    expect(orphan.metadata?.name).toBe('orphan');
  });

  test('deleting a Deployment removes its ReplicaSets and Pods', async () => {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('gone', 1) });
    await waitFor('pod', async () => ((await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=gone' })).items.length === 1 ? true : undefined));
    await apps.deleteNamespacedDeployment({ namespace: ns, name: 'gone', propagationPolicy: 'Background' });
    await waitFor('dependents gone', async () => {
      const rs = await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=gone' });
      const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=gone' });
      return rs.items.length === 0 && pods.items.length === 0 ? true : undefined;
    });
  });

  test('a Job runs to completion', async () => {
    await batch.createNamespacedJob({
      namespace: ns,
      body: { metadata: { name: 'done' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'w', image: IMAGES.worker.image, command: [...IMAGES.worker.command] }] } } } },
    });
    const job = await waitFor('job complete', async () => {
      const j = await batch.readNamespacedJob({ namespace: ns, name: 'done' });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    }, 60_000);
    expect(job.status?.succeeded).toBe(1);
    expect(job.status?.failed ?? 0).toBe(0);
  });

  test('a crashing container goes into CrashLoopBackOff with restarts', async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'crash' }, spec: { containers: [{ name: 'c', image: IMAGES.crasher.image, command: [...IMAGES.crasher.command] }] } },
    });
    const status = await waitFor('CrashLoopBackOff', async () => {
      const p = await core.readNamespacedPod({ namespace: ns, name: 'crash' });
      const cs = p.status?.containerStatuses?.[0];
      return cs?.state?.waiting?.reason === 'CrashLoopBackOff' && cs.restartCount >= 1 ? cs : undefined;
    }, 60_000);
    expect(status.lastState?.terminated?.exitCode).toBe(3);
  });

  test('an image that cannot be pulled reports ErrImagePull or ImagePullBackOff', async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'nopull' }, spec: { containers: [{ name: 'c', image: IMAGES.missing.image, command: [...IMAGES.missing.command] }] } },
    });
    const reason = await waitFor('pull failure', async () => {
      const p = await core.readNamespacedPod({ namespace: ns, name: 'nopull' });
      const r = p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
      return r === 'ErrImagePull' || r === 'ImagePullBackOff' ? r : undefined;
    }, 60_000);
    expect(['ErrImagePull', 'ImagePullBackOff']).toContain(reason);
    const events = await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=nopull,reason=Failed' });
    expect(events.items.length).toBeGreaterThan(0);
  });
});
