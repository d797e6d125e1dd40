/**
 * Emulator-specific behaviour: fault injection, the simulated controllers' finer
 * points, the load-balancer pool, bookmarks, state files and the catalog.
 */
import * as k8s from '@kubernetes/client-node';
import { request } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { CatalogError, ImageCatalog, startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { apiError, IMAGES, testCatalog, waitFor } from './harness.js';

jest.setTimeout(60_000);

let emulator: KubeEmulator;
let dir: string;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function raw(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(`${emulator.url}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-emulator-'));
  emulator = await startKubeEmulator({ tls: false, stateDir: dir, timeFactor: 0.01, catalog: testCatalog(), loadBalancerPool: ['192.0.2.1'] });
  kc = new k8s.KubeConfig();
  kc.loadFromString(emulator.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
});

afterAll(async () => {
  await emulator?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('start-up state', () => {
  test('writes the kubeconfig, serves the initial namespaces and a Ready node', async () => {
    expect(await readFile(join(dir, 'kubeconfig'), 'utf8')).toBe(emulator.kubeconfig);
    const namespaces = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    expect(namespaces).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']));
    const nodes = (await core.listNode()).items;
    expect(nodes).toHaveLength(1);
    expect(nodes[0]!.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  test('HTTPS by default with a CA in the kubeconfig', async () => {
    const secure = await startKubeEmulator();
    try {
      expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const config = new k8s.KubeConfig();
      config.loadFromString(secure.kubeconfig);
      expect(config.getCurrentCluster()?.caData).toBeTruthy();
      const version = await config.makeApiClient(k8s.VersionApi).getCode();
      expect(version.gitVersion).toBe('v1.32.0');
    } finally {
      await secure.stop();
    }
  });

  test('discovery lists the served resources', async () => {
    const v1 = JSON.parse((await raw('GET', '/api/v1')).body) as { resources: Array<{ name: string }> };
    expect(v1.resources.map((r) => r.name)).toEqual(expect.arrayContaining(['pods', 'pods/log', 'pods/status', 'services', 'events', 'nodes']));
    const appsV1 = JSON.parse((await raw('GET', '/apis/apps/v1')).body) as { resources: Array<{ name: string; kind: string }> };
    expect(appsV1.resources).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'deployments/scale', kind: 'Scale' })]));
    const groups = JSON.parse((await raw('GET', '/apis')).body) as { groups: Array<{ name: string }> };
    expect(groups.groups.map((g) => g.name)).toEqual(['apps', 'batch', 'coordination.k8s.io', 'rbac.authorization.k8s.io']);
  });

  test('OpenAPI v3 index and documents advertise fieldValidation on PATCH', async () => {
    const index = JSON.parse((await raw('GET', '/openapi/v3')).body) as { paths: Record<string, { serverRelativeURL: string }> };
    const doc = JSON.parse((await raw('GET', index.paths['apis/apps/v1']!.serverRelativeURL)).body) as {
      paths: Record<string, { patch?: { parameters: Array<{ name: string }>; 'x-kubernetes-group-version-kind': { kind: string } } }>;
      components: { schemas: Record<string, unknown> };
    };
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!.patch!;
    expect(patch['x-kubernetes-group-version-kind'].kind).toBe('Deployment');
    expect(patch.parameters.map((p) => p.name)).toContain('fieldValidation');
    expect(doc.components.schemas['io.k8s.api.apps.v1.Deployment']).toBeDefined();
    const v2 = await raw('GET', '/openapi/v2', undefined, { Accept: 'application/json' });
    expect(JSON.parse(v2.body).swagger).toBe('2.0');
  });
});

describe('fault injection', () => {
  test('500 for the next N matching requests, then normal service', async () => {
    emulator.faults.failNext(2, { method: 'GET', path: '/api/v1/namespaces/default/configmaps' });
    expect((await apiError(core.listNamespacedConfigMap({ namespace: 'default' }))).code).toBe(500);
    expect((await apiError(core.listNamespacedConfigMap({ namespace: 'default' }))).code).toBe(500);
    await expect(core.listNamespacedConfigMap({ namespace: 'default' })).resolves.toBeDefined();
  });

  test('429 with Retry-After', async () => {
    emulator.faults.throttleNext(1, 7);
    const res = await raw('GET', '/api/v1/namespaces');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(JSON.parse(res.body)).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
  });

  test('latency is added to every request', async () => {
    emulator.faults.setLatency(150);
    const start = Date.now();
    await raw('GET', '/version');
    emulator.faults.setLatency(0);
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);
  });

  test('dropped watches end and forced 410s arrive as ERROR events', async () => {
    const watch = new k8s.Watch(kc);
    let ended = false;
    await watch.watch('/api/v1/namespaces/default/configmaps', {}, () => undefined, () => (ended = true));
    await waitFor('watch registered', async () => true);
    emulator.faults.dropWatches();
    await waitFor('watch ended', async () => (ended ? true : undefined));

    emulator.faults.expireNextWatches(1);
    const events: Array<{ type: string; code?: number }> = [];
    await watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: '999999' }, (type, obj: { code?: number }) => events.push({ type, code: obj.code }), () => undefined);
    await waitFor('error event', async () => (events.length > 0 ? true : undefined));
    expect(events[0]).toEqual({ type: 'ERROR', code: 410 });
  });
});

describe('watch details', () => {
  test('bookmarks when allowed, and timeoutSeconds ends the stream', async () => {
    const start = Date.now();
    const res = await raw('GET', '/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=0');
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
    const types = res.body.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types).toContain('BOOKMARK');
  });

  test('a watch from a version older than the window is 410 Gone', async () => {
    const res = await raw('GET', '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.trim())).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
  });

  test('objects leaving a label selector arrive as DELETED', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'moving', labels: { sel: 'a' } } } });
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    const controller = await watch.watch('/api/v1/namespaces/default/configmaps', { labelSelector: 'sel=a', resourceVersion: list.metadata?.resourceVersion }, (type) => seen.push(type), () => undefined);
    await core.patchNamespacedConfigMap({ namespace: 'default', name: 'moving', body: { metadata: { labels: { sel: 'b' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await waitFor('deleted event', async () => (seen.length > 0 ? true : undefined));
    controller.abort();
    expect(seen).toEqual(['DELETED']);
  });
});

describe('request handling', () => {
  test('an Update of a field that an applier also owns takes it from the applier', async () => {
    const path = '/api/v1/namespaces/default/configmaps/owned';
    const apply = (x: string) =>
      raw('PATCH', `${path}?fieldManager=a`, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owned' }, data: { x } }), {
        'Content-Type': 'application/apply-patch+yaml',
      });
    const put = async (x: string) => {
      const live = JSON.parse((await raw('GET', path)).body) as { metadata: Record<string, unknown> };
      // Without managedFields, as a controller's update sends it: the stored ownership is kept and updated.
      const body = { ...live, metadata: { ...live.metadata, managedFields: undefined }, data: { x } };
      return raw('PUT', `${path}?fieldManager=b`, JSON.stringify(body), { 'Content-Type': 'application/json' });
    };
    /** The managers whose ownership includes data.x. */
    const ownersOfX = async () => {
      const live = JSON.parse((await raw('GET', path)).body) as { metadata: { managedFields?: Array<{ manager: string; fieldsV1?: { 'f:data'?: Record<string, unknown> } }> } };
      return (live.metadata.managedFields ?? []).filter((e) => e.fieldsV1?.['f:data']?.['f:x'] !== undefined).map((e) => e.manager);
    };
    expect((await apply('1')).status).toBe(201);
    expect(await ownersOfX()).toEqual(['a']);
    expect((await put('2')).status).toBe(200);
    expect(await ownersOfX()).toEqual(['b']);
    // The same value applied again: both own data.x.
    expect((await apply('2')).status).toBe(200);
    expect((await ownersOfX()).sort()).toEqual(['a', 'b']);
    // b, which owns every field it changes, changes one that a owns too: a loses it.
    expect((await put('3')).status).toBe(200);
    expect(await ownersOfX()).toEqual(['b']);
  });

  test("a Deployment's status update takes the body's annotations (not its labels or spec), owned under the status subresource", async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/annotated';
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'annotated', labels: { app: 'annotated' }, annotations: { kept: 'yes' } },
        spec: { replicas: 0, selector: { matchLabels: { app: 'annotated' } }, template: { metadata: { labels: { app: 'annotated' } }, spec: { containers: [{ name: 'c', image: IMAGES.logger.image }] } } },
      },
    });
    type Live = { metadata: { labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion?: string; managedFields?: Array<{ manager: string; subresource?: string; fieldsV1?: Record<string, Record<string, Record<string, unknown>>> }> }; spec: { replicas?: number }; status?: Record<string, unknown> };
    // Once the controller is done with it (its revision annotation and status written).
    const live = await waitFor('annotated observed', async () => {
      const d = JSON.parse((await raw('GET', path)).body) as Live;
      return d.status?.observedGeneration === 1 && d.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1' ? d : undefined;
    });
    const body = {
      ...live,
      metadata: { ...live.metadata, managedFields: undefined, labels: { app: 'changed' }, annotations: { ...live.metadata.annotations, 'example.com/written-with-status': '1' } },
      spec: { ...live.spec, replicas: 5 },
      status: { ...live.status, observedGeneration: 1 },
    };
    const res = await raw('PUT', `${path}/status?fieldManager=status-writer`, JSON.stringify(body), { 'Content-Type': 'application/json' });
    expect(res.status).toBe(200);
    const after = JSON.parse((await raw('GET', path)).body) as Live;
    expect(after.metadata.annotations).toEqual({ kept: 'yes', 'deployment.kubernetes.io/revision': '1', 'example.com/written-with-status': '1' });
    expect(after.metadata.labels).toEqual({ app: 'annotated' });
    expect(after.spec.replicas).toBe(0);
    const entry = after.metadata.managedFields?.find((e) => e.manager === 'status-writer');
    expect(entry?.subresource).toBe('status');
    expect(entry?.fieldsV1?.['f:metadata']?.['f:annotations']).toEqual({ 'f:example.com/written-with-status': {} });
    await apps.deleteNamespacedDeployment({ namespace: 'default', name: 'annotated' });
  });

  test('protobuf bodies are answered 415, unknown paths 404, bad JSON 400', async () => {
    expect((await raw('POST', '/api/v1/namespaces/default/configmaps', 'k8s\u0000', { 'Content-Type': 'application/vnd.kubernetes.protobuf' })).status).toBe(415);
    expect((await raw('GET', '/api/v1/widgets')).status).toBe(404);
    const bad = await raw('POST', '/api/v1/namespaces/default/configmaps', '{nope', { 'Content-Type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });

  test('values of the wrong JSON type are a 400 like the real decoder, malformed paths 404', async () => {
    const res = await raw('POST', '/api/v1/namespaces/default/pods', JSON.stringify({ metadata: { name: 'typed' }, spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: '80' }] }] } }), {
      'Content-Type': 'application/json',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).message).toBe(
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field Pod.spec.containers[0].ports[0].containerPort of type number',
    );
    expect((await raw('GET', '/api/v1/namespaces/%ZZ/configmaps')).status).toBe(404);
  });

  test('fieldValidation=Strict rejects unknown fields; the default warns', async () => {
    const body = JSON.stringify({ metadata: { name: 'strict' }, bogus: 1 });
    const strict = await raw('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', body, { 'Content-Type': 'application/json' });
    expect(strict.status).toBe(400);
    expect(JSON.parse(strict.body).message).toBe('strict decoding error: unknown field "bogus"');
    const warned = await raw('POST', '/api/v1/namespaces/default/configmaps', body, { 'Content-Type': 'application/json' });
    expect(warned.status).toBe(201);
    expect(String(warned.headers.warning)).toContain('unknown field');
  });

  test('a write to a missing namespace is 404 and to a terminating one 403', async () => {
    expect((await apiError(core.createNamespacedConfigMap({ namespace: 'nowhere', body: { metadata: { name: 'x' } } }))).code).toBe(404);
    await core.createNamespace({ body: { metadata: { name: 'held-ns', finalizers: ['example.com/hold'] } } });
    await core.deleteNamespace({ name: 'held-ns' });
    expect((await core.readNamespace({ name: 'held-ns' })).status?.phase).toBe('Terminating');
    const forbidden = await apiError(core.createNamespacedConfigMap({ namespace: 'held-ns', body: { metadata: { name: 'x' } } }));
    expect(forbidden.code).toBe(403);
    expect(String(forbidden.status.message)).toContain('because it is being terminated');
    await core.patchNamespace({ name: 'held-ns', body: { metadata: { finalizers: null } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect((await apiError(core.readNamespace({ name: 'held-ns' }))).code).toBe(404);
  });
});

describe('simulated controllers', () => {
  test('namespace deletion removes its contents, then the namespace', async () => {
    await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'cm' } } });
    await core.deleteNamespace({ name: 'doomed' });
    await waitFor('namespace gone', async () => ((await apiError(core.readNamespace({ name: 'doomed' }))).code === 404 ? true : undefined));
    expect((await core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.namespace=doomed' })).items).toEqual([]);
  });

  test('finalizers hold deletion until removed; Foreground waits for dependents', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } } });
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'held' });
    const held = await core.readNamespacedConfigMap({ namespace: 'default', name: 'held' });
    expect(held.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    await core.patchNamespacedConfigMap({ namespace: 'default', name: 'held', body: { metadata: { finalizers: null } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect((await apiError(core.readNamespacedConfigMap({ namespace: 'default', name: 'held' }))).code).toBe(404);

    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'fg' },
        spec: { replicas: 1, selector: { matchLabels: { app: 'fg' } }, template: { metadata: { labels: { app: 'fg' } }, spec: { containers: [{ name: 'c', image: IMAGES.logger.image }] } } },
      },
    });
    await waitFor('fg pod', async () => ((await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=fg' })).items.length === 1 ? true : undefined));
    await apps.deleteNamespacedDeployment({ namespace: 'default', name: 'fg', propagationPolicy: 'Foreground' });
    await waitFor('fg deployment gone', async () => ((await apiError(apps.readNamespacedDeployment({ namespace: 'default', name: 'fg' }))).code === 404 ? true : undefined));
    expect((await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=fg' })).items).toEqual([]);
  });

  test('Recreate replaces all pods; rollouts keep revision history', async () => {
    const body = (image: string): k8s.V1Deployment => ({
      metadata: { name: 'rec' },
      spec: {
        replicas: 2,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { app: 'rec' } },
        template: { metadata: { labels: { app: 'rec' } }, spec: { containers: [{ name: 'c', image }] } },
      },
    });
    await apps.createNamespacedDeployment({ namespace: 'default', body: body('app:1') });
    const ready = async (image: string) =>
      waitFor(`rollout of ${image}`, async () => {
        const d = await apps.readNamespacedDeployment({ namespace: 'default', name: 'rec' });
        const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=rec' })).items;
        return d.status?.updatedReplicas === 2 && d.status.availableReplicas === 2 && pods.length === 2 && pods.every((p) => p.spec?.containers[0]?.image === image) ? d : undefined;
      });
    await ready('app:1');
    await apps.replaceNamespacedDeployment({ namespace: 'default', name: 'rec', body: { ...(await apps.readNamespacedDeployment({ namespace: 'default', name: 'rec' })), spec: body('app:2').spec } });
    const d = await ready('app:2');
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('NewReplicaSetAvailable');
    const rs = (await apps.listNamespacedReplicaSet({ namespace: 'default', labelSelector: 'app=rec' })).items;
    expect(rs.map((r) => [r.metadata?.annotations?.['deployment.kubernetes.io/revision'], r.spec?.replicas]).sort()).toEqual([
      ['1', 0],
      ['2', 2],
    ]);
    const events = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=rec,reason=ScalingReplicaSet' });
    expect(events.items.some((e) => /Scaled down replica set rec-\S+ from 2 to 0/.test(e.message ?? ''))).toBe(true);
  });

  test('a RollingUpdate creates its new ReplicaSet scaled up as far as maxSurge allows, in one write', async () => {
    const body = (image: string): k8s.V1Deployment => ({
      metadata: { name: 'surge' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'surge' } },
        template: { metadata: { labels: { app: 'surge' } }, spec: { containers: [{ name: 'c', image }] } },
      },
    });
    await apps.createNamespacedDeployment({ namespace: 'default', body: body('app:1') });
    await waitFor('surge rolled out', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: 'default', name: 'surge' });
      return d.status?.availableReplicas === 2 && d.status.updatedReplicas === 2 ? true : undefined;
    });
    const since = (await apps.listNamespacedReplicaSet({ namespace: 'default', labelSelector: 'app=surge' })).metadata?.resourceVersion;
    await apps.replaceNamespacedDeployment({ namespace: 'default', name: 'surge', body: { ...(await apps.readNamespacedDeployment({ namespace: 'default', name: 'surge' })), spec: body('app:2').spec } });
    await waitFor('surge rolled out again', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: 'default', name: 'surge' });
      return d.status?.observedGeneration === 2 && d.status.updatedReplicas === 2 && d.status.replicas === 2 && d.status.availableReplicas === 2 ? true : undefined;
    });
    const res = await raw('GET', `/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dsurge&watch=1&resourceVersion=${since}&timeoutSeconds=1`);
    const events = res.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; object: k8s.V1ReplicaSet });
    const created = events.filter((e) => e.type === 'ADDED');
    expect(created).toHaveLength(1);
    const name = created[0]!.object.metadata?.name;
    // Created at 1 (2 replicas + maxSurge 25% = 3 pods at most, 2 of them old), as the real
    // controller's NewRSNewReplicas computes; never stored at 0 first.
    expect(created[0]!.object.spec?.replicas).toBe(1);
    const sizes = events.filter((e) => e.object.metadata?.name === name).map((e) => e.object.spec?.replicas);
    expect(sizes).not.toContain(0);
    const scaled = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=surge,reason=ScalingReplicaSet' });
    expect(scaled.items.some((e) => e.message === `Scaled up replica set ${name} from 0 to 1`)).toBe(true);
  });

  test('a rollout writes the revision annotation with the status, in one write of the status subresource', async () => {
    const body = (image: string): k8s.V1Deployment => ({
      metadata: { name: 'revised' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'revised' } }, template: { metadata: { labels: { app: 'revised' } }, spec: { containers: [{ name: 'c', image }] } } },
    });
    const rolledOut = (generation: number) =>
      waitFor(`revised generation ${generation} rolled out`, async () => {
        const d = await apps.readNamespacedDeployment({ namespace: 'default', name: 'revised' });
        return d.status?.observedGeneration === generation && d.status.updatedReplicas === 1 && d.status.availableReplicas === 1 && d.status.replicas === 1 ? d : undefined;
      });
    await apps.createNamespacedDeployment({ namespace: 'default', body: body('app:1') });
    const first = await rolledOut(1);
    expect(first.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    const since = first.metadata?.resourceVersion;
    await apps.replaceNamespacedDeployment({ namespace: 'default', name: 'revised', body: { ...first, spec: body('app:2').spec } });
    const second = await rolledOut(2);
    const res = await raw('GET', `/apis/apps/v1/namespaces/default/deployments?fieldSelector=metadata.name%3Drevised&watch=1&resourceVersion=${since}&timeoutSeconds=1`);
    const versions = res.body
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { object: k8s.V1Deployment }).object)
      .map((d) => ({ revision: d.metadata?.annotations?.['deployment.kubernetes.io/revision'], observedGeneration: d.status?.observedGeneration }));
    // The client's replace (generation 2, revision 1), then the controller's writes: never the new revision beside the old status.
    expect(versions[0]).toEqual({ revision: '1', observedGeneration: 1 });
    expect(versions.slice(1).every((v) => v.revision === '2' && v.observedGeneration === 2)).toBe(true);
    expect(versions.length).toBeGreaterThan(1);
    const status = second.metadata?.managedFields?.find((e) => e.manager === 'kube-controller-manager' && e.subresource === 'status');
    expect((status?.fieldsV1 as { 'f:metadata'?: { 'f:annotations'?: Record<string, unknown> } } | undefined)?.['f:metadata']?.['f:annotations']).toEqual({ 'f:deployment.kubernetes.io/revision': {} });
  });

  test('Events are named <object>.<hex of the Unix time in nanoseconds>, as the real recorder names them', async () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'named' },
        spec: { replicas: 1, selector: { matchLabels: { app: 'named' } }, template: { metadata: { labels: { app: 'named' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } },
      },
    });
    const events = await waitFor('the pod events', async () => {
      const items = (await core.listNamespacedEvent({ namespace: 'default' })).items.filter((e) => e.involvedObject.name?.startsWith('named'));
      return items.length >= 3 ? items : undefined;
    });
    const after = BigInt(Date.now()) * 1_000_000n;
    for (const e of events) {
      const match = /^(.+)\.([0-9a-f]+)$/.exec(e.metadata?.name ?? '');
      expect(match?.[1]).toBe(e.involvedObject.name);
      const stamp = BigInt(`0x${match![2]}`);
      expect(stamp >= before - 1_000_000_000n && stamp <= after).toBe(true);
    }
  });

  test("the kubelet writes a pod's start-up in one status write when its image is present; a pull shows ContainerCreating first", async () => {
    const image = 'registry.example/one-write:1';
    /** The container states of the kubelet's status writes of a new pod, in order, once it runs. */
    const reported = async (name: string) => {
      const created = await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name }, spec: { containers: [{ name: 'c', image }] } } });
      await waitFor(`${name} running`, async () => ((await core.readNamespacedPod({ namespace: 'default', name })).status?.phase === 'Running' ? true : undefined));
      const res = await raw('GET', `/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3D${name}&watch=1&resourceVersion=${created.metadata?.resourceVersion}&timeoutSeconds=1`);
      return res.body
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { object: k8s.V1Pod }).object.status?.containerStatuses?.[0]?.state)
        .filter((state) => state !== undefined)
        .map((state) => (state.running ? 'running' : (state.waiting?.reason ?? 'other')));
    };
    expect(await reported('first-pull')).toEqual(['ContainerCreating', 'running']);
    expect(await reported('already-present')).toEqual(['running']);
  });

  test('Events are written after the writes of the turn that recorded them; a list of Events has every one recorded before it', async () => {
    const image = 'registry.example/event-order:1';
    const start = async (name: string) => {
      await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name }, spec: { containers: [{ name: 'c', image }] } } });
      return waitFor(`${name} running`, async () => {
        const p = await core.readNamespacedPod({ namespace: 'default', name });
        return p.status?.phase === 'Running' ? p : undefined;
      });
    };
    await start('event-order-pull'); // pulls the image
    // Scheduled, bound and started in one turn of the kubelet (the image is present): its Events follow its status write.
    const running = await start('event-order');
    const events = (await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=event-order' })).items;
    expect(events.map((e) => e.reason).sort()).toEqual(['Created', 'Pulled', 'Scheduled', 'Started']);
    for (const e of events) expect(Number(e.metadata?.resourceVersion)).toBeGreaterThan(Number(running.metadata?.resourceVersion));
  });

  test('while clients keep the controllers busy, Events wait, yet a request on Events sees every one recorded before it', async () => {
    // A stream of changes keeps the Deployment controller's queue waiting: the recorder holds its Events (up to EVENT_MAX_DELAY_MS).
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: { metadata: { name: 'busy' }, spec: { replicas: 0, selector: { matchLabels: { app: 'busy' } }, template: { metadata: { labels: { app: 'busy' } }, spec: { containers: [{ name: 'c', image: IMAGES.logger.image }] } } } },
    });
    let streaming = true;
    let n = 0;
    const stream = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (streaming) {
          const body = JSON.stringify({ metadata: { annotations: { round: String(n++) } } });
          await raw('PATCH', '/apis/apps/v1/namespaces/default/deployments/busy', body, { 'Content-Type': 'application/merge-patch+json' });
        }
      }),
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'seen-at-once' }, spec: { containers: [{ name: 'c', image: IMAGES.logger.image }] } } });
      // Bound (read back to back): the scheduler recorded Scheduled in the same turn.
      while (!(await core.readNamespacedPod({ namespace: 'default', name: 'seen-at-once' })).spec?.nodeName);
      const events = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=seen-at-once' });
      expect(events.items.map((e) => e.reason)).toContain('Scheduled');
    } finally {
      streaming = false;
      await stream;
    }
    await apps.deleteNamespacedDeployment({ namespace: 'default', name: 'busy' });
  });

  test('pods count as available only after minReadySeconds', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'slow' },
        spec: {
          replicas: 1,
          minReadySeconds: 100,
          selector: { matchLabels: { app: 'slow' } },
          template: { metadata: { labels: { app: 'slow' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } },
        },
      },
    });
    const ready = await waitFor('ready, not yet available', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: 'default', name: 'slow' });
      return d.status?.readyReplicas === 1 ? d : undefined;
    });
    expect(ready.status?.availableReplicas ?? 0).toBe(0);
    const available = await waitFor('available', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: 'default', name: 'slow' });
      return d.status?.availableReplicas === 1 ? d : undefined;
    });
    expect(available.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
  });

  test('a Deployment that cannot become available hits ProgressDeadlineExceeded', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'stuck' },
        spec: {
          replicas: 1,
          progressDeadlineSeconds: 5,
          selector: { matchLabels: { app: 'stuck' } },
          template: { metadata: { labels: { app: 'stuck' } }, spec: { containers: [{ name: 'c', image: IMAGES.missing.image }] } },
        },
      },
    });
    const condition = await waitFor('deadline', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: 'default', name: 'stuck' });
      const c = d.status?.conditions?.find((x) => x.type === 'Progressing');
      return c?.reason === 'ProgressDeadlineExceeded' ? c : undefined;
    });
    expect(condition.status).toBe('False');
  });

  test('LoadBalancer Services get pool IPs; when the pool is exhausted they stay pending', async () => {
    const lb = (name: string) => core.createNamespacedService({ namespace: 'default', body: { metadata: { name }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } } });
    await lb('lb-a');
    const ingress = await waitFor('ingress', async () => (await core.readNamespacedService({ namespace: 'default', name: 'lb-a' })).status?.loadBalancer?.ingress?.[0]?.ip);
    expect(ingress).toBe('192.0.2.1');
    await lb('lb-b');
    await new Promise((r) => setTimeout(r, 100));
    expect((await core.readNamespacedService({ namespace: 'default', name: 'lb-b' })).status?.loadBalancer?.ingress).toBeUndefined();
    await core.deleteNamespacedService({ namespace: 'default', name: 'lb-a' });
    expect(await waitFor('reassigned', async () => (await core.readNamespacedService({ namespace: 'default', name: 'lb-b' })).status?.loadBalancer?.ingress?.[0]?.ip)).toBe('192.0.2.1');
  });

  test('pods/log: previous, tailLines and an error for a container that never started', async () => {
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'crashy' }, spec: { containers: [{ name: 'c', image: IMAGES.crasher.image }] } } });
    await waitFor('a restart', async () => ((await core.readNamespacedPod({ namespace: 'default', name: 'crashy' })).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 || undefined);
    const previous = await core.readNamespacedPodLog({ namespace: 'default', name: 'crashy', previous: true });
    expect(previous).toBe('busybox:1.35 started\nbusybox:1.35 crashed with exit code 3\n');
    expect(await core.readNamespacedPodLog({ namespace: 'default', name: 'crashy', previous: true, tailLines: 1 })).toBe('busybox:1.35 crashed with exit code 3\n');
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'nopull' }, spec: { containers: [{ name: 'c', image: IMAGES.missing.image }] } } });
    const err = await apiError(core.readNamespacedPodLog({ namespace: 'default', name: 'nopull' }));
    expect(err.code).toBe(400);
    expect(String(err.status.message)).toContain('is waiting to start');
  });

  test('pods are deleted gracefully (Killing, then gone) unless gracePeriodSeconds is 0', async () => {
    const pod = (name: string) => core.createNamespacedPod({ namespace: 'default', body: { metadata: { name }, spec: { containers: [{ name: 'c', image: IMAGES.logger.image }] } } });
    await pod('graceful');
    await pod('abrupt');
    for (const name of ['graceful', 'abrupt']) {
      await waitFor(`${name} running`, async () => ((await core.readNamespacedPod({ namespace: 'default', name })).status?.phase === 'Running' ? true : undefined));
    }
    // The pod's changes from here on, through a watch: at timeFactor 0.01 the stop takes 10 ms, less than a read after the delete may.
    const running = await core.readNamespacedPod({ namespace: 'default', name: 'graceful' });
    const changes: Array<{ type: string; deletionTimestamp?: unknown }> = [];
    const watch = await new k8s.Watch(kc).watch(
      '/api/v1/namespaces/default/pods',
      { fieldSelector: 'metadata.name=graceful', resourceVersion: running.metadata?.resourceVersion },
      (type, obj: { metadata?: { deletionTimestamp?: string } }) => changes.push({ type, deletionTimestamp: obj.metadata?.deletionTimestamp }),
      () => undefined,
    );
    const deleted = await core.deleteNamespacedPod({ namespace: 'default', name: 'graceful' });
    expect(deleted.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect(deleted.metadata?.deletionGracePeriodSeconds).toBe(30);
    await waitFor('graceful pod gone', async () => ((await apiError(core.readNamespacedPod({ namespace: 'default', name: 'graceful' }))).code === 404 ? true : undefined));
    await waitFor('DELETED event', async () => (changes.some((c) => c.type === 'DELETED') ? true : undefined));
    watch.abort();
    // Marked for deletion (and kept while the containers stop) before it was removed.
    expect(changes[0]).toMatchObject({ type: 'MODIFIED', deletionTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(changes.at(-1)?.type).toBe('DELETED');
    const killing = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=graceful,reason=Killing' });
    expect(killing.items[0]?.message).toBe('Stopping container c');

    await core.deleteNamespacedPod({ namespace: 'default', name: 'abrupt', gracePeriodSeconds: 0 });
    expect((await apiError(core.readNamespacedPod({ namespace: 'default', name: 'abrupt' }))).code).toBe(404);
  });

  test('PersistentVolumeClaims are bound to a provisioned volume, deleted with the claim', async () => {
    await core.createNamespacedPersistentVolumeClaim({
      namespace: 'default',
      body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } } },
    });
    const claim = await waitFor('bound claim', async () => {
      const c = await core.readNamespacedPersistentVolumeClaim({ namespace: 'default', name: 'data' });
      return c.status?.phase === 'Bound' ? c : undefined;
    });
    expect(claim.status?.capacity).toEqual({ storage: '2Gi' });
    const pv = await core.readPersistentVolume({ name: claim.spec!.volumeName! });
    expect(pv.spec?.claimRef).toMatchObject({ name: 'data', namespace: 'default', uid: claim.metadata?.uid });
    expect(pv.status?.phase).toBe('Bound');
    await core.deleteNamespacedPersistentVolumeClaim({ namespace: 'default', name: 'data' });
    await waitFor('volume deleted', async () => ((await apiError(core.readPersistentVolume({ name: claim.spec!.volumeName! }))).code === 404 ? true : undefined));
  });

  test('scale subresource', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: { metadata: { name: 'sc' }, spec: { replicas: 1, selector: { matchLabels: { app: 'sc' } }, template: { metadata: { labels: { app: 'sc' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } } },
    });
    const scale = await apps.readNamespacedDeploymentScale({ namespace: 'default', name: 'sc' });
    expect(scale.spec?.replicas).toBe(1);
    await apps.patchNamespacedDeploymentScale({ namespace: 'default', name: 'sc', body: { spec: { replicas: 3 } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect((await apps.readNamespacedDeployment({ namespace: 'default', name: 'sc' })).spec?.replicas).toBe(3);
    await waitFor('3 pods', async () => ((await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=sc' })).items.length === 3 ? true : undefined));
  });
});

describe('image catalog', () => {
  test('loads from a JSON file and rejects malformed entries', async () => {
    const file = join(dir, 'catalog.json');
    await writeFile(file, JSON.stringify({ 'app:1': { kind: 'exit', code: 4, afterMs: 10 }, app: { kind: 'run', logEvery: 5, lines: ['x'] } }));
    const catalog = ImageCatalog.fromFile(file);
    expect(catalog.behaviourOf('app:1')).toEqual({ kind: 'exit', code: 4, afterMs: 10 });
    expect(catalog.behaviourOf('app:2')).toEqual({ kind: 'run', logEvery: 5, lines: ['x'] });
    expect(catalog.behaviourOf('other')).toEqual({ kind: 'run' });
    await writeFile(file, JSON.stringify({ x: { kind: 'explode' } }));
    expect(() => ImageCatalog.fromFile(file)).toThrow(CatalogError);
    expect(() => ImageCatalog.fromFile(join(dir, 'missing.json'))).toThrow(/cannot read image catalog/);
  });
});
