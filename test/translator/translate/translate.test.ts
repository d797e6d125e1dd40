import { translate } from '../../../translator/translate/index.js';
import { credential, deploymentModel, edgeHubModel, moduleModel } from './builders.js';
import { assertValidK8s } from '../../support/k8s-schema.js';
import { shortHash } from '../../../translator/translate/names.js';
import type { DeploymentModel } from '../../../translator/manifest/index.js';
import type { KubeObject } from '../../../translator/translate/index.js';
import { join } from 'node:path';
import { compileFile } from '../../../translator/sources/index.js';
import { withCredentials } from '../../../translator/identities/index.js';
import { planReconcile } from '../../../translator/reconcile/index.js';
import { toYaml } from '../../../translator/cli/index.js';
import { repoRoot } from '../../golden/samples.js';

const OPTIONS = { namespace: 'iotedge', deviceId: 'ase-device', hubHostname: 'myhub.azure-devices.net' };
const LABELS = (name: string) => ({
  'app.kubernetes.io/managed-by': 'iotedge-k8s',
  'app.kubernetes.io/name': name,
  'net.azure-devices.edge.deviceid': 'ase-device',
  'net.azure-devices.edge.hub': 'myhub.azure-devices.net',
  'net.azure-devices.edge.module': name,
});
const SELECTOR = (name: string) => ({
  'app.kubernetes.io/managed-by': 'iotedge-k8s',
  'net.azure-devices.edge.deviceid': 'ase-device',
  'net.azure-devices.edge.module': name,
});

describe('translate: Azure Stack Edge web server', () => {
  const model = deploymentModel(
    [moduleModel('webserverapp', { HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } }, { image: 'mcr.microsoft.com/oss/nginx/nginx:1.15.5-alpine', version: '1.0' })],
    { edgeHub: edgeHubModel() },
  );
  const result = translate(model, OPTIONS);

  it('produces exactly the expected objects, in kind order', () => {
    expect(result.diagnostics).toEqual([]);
    expect(result.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/edgehub',
      'ServiceAccount/webserverapp',
      'Service/edgehub',
      'Service/edgehub-published',
      'Service/webserverapp',
      'Service/webserverapp-published',
      'Deployment/edgehub',
      'Deployment/webserverapp',
    ]);
  });

  it('the web server is published as LoadBalancer 8080 -> 80 and named by a headless Service on 80', () => {
    expect(result.objects[5]).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        annotations: { 'net.azure-devices.edge.original-moduleid': 'webserverapp' },
        labels: { ...LABELS('webserverapp'), 'app.kubernetes.io/name': 'webserverapp-published' },
        name: 'webserverapp-published',
        namespace: 'iotedge',
      },
      spec: { ports: [{ name: 'tcp-8080', port: 8080, protocol: 'TCP', targetPort: 80 }], selector: SELECTOR('webserverapp'), type: 'LoadBalancer' },
    });
    expect(result.objects[4]).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        annotations: { 'net.azure-devices.edge.original-moduleid': 'webserverapp' },
        labels: LABELS('webserverapp'),
        name: 'webserverapp',
        namespace: 'iotedge',
      },
      spec: {
        clusterIP: 'None',
        ports: [{ name: 'tcp-80', port: 80, protocol: 'TCP', targetPort: 80 }],
        publishNotReadyAddresses: true,
        selector: SELECTOR('webserverapp'),
      },
    });
  });

  it('the web server Deployment is complete and canonical', () => {
    expect(result.objects[7]).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        annotations: { 'net.azure-devices.edge.original-moduleid': 'webserverapp' },
        labels: LABELS('webserverapp'),
        name: 'webserverapp',
        namespace: 'iotedge',
      },
      spec: {
        replicas: 1,
        selector: { matchLabels: SELECTOR('webserverapp') },
        strategy: { type: 'RollingUpdate' },
        template: {
          metadata: {
            annotations: { 'net.azure-devices.edge.module-version': '1.0', 'net.azure-devices.edge.original-moduleid': 'webserverapp' },
            labels: LABELS('webserverapp'),
          },
          spec: {
            automountServiceAccountToken: false,
            containers: [
              {
                env: [
                  { name: 'IOTEDGE_DEVICEID', value: 'ase-device' },
                  { name: 'IOTEDGE_MODULEID', value: 'webserverapp' },
                  { name: 'IOTEDGE_IOTHUBHOSTNAME', value: 'myhub.azure-devices.net' },
                  { name: 'IOTEDGE_GATEWAYHOSTNAME', value: 'edgehub' },
                ],
                image: 'mcr.microsoft.com/oss/nginx/nginx:1.15.5-alpine',
                imagePullPolicy: 'Always',
                name: 'webserverapp',
                ports: [{ containerPort: 80, name: 'tcp-80', protocol: 'TCP' }],
              },
            ],
            enableServiceLinks: false,
            restartPolicy: 'Always',
            serviceAccountName: 'webserverapp',
          },
        },
      },
    });
    expect(Object.keys(result.objects[7]!)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
  });

  it('edgeHub deploys like a module with Service edgehub-published (443, 5671, 8883); edgeAgent is not deployed', () => {
    const hub = result.objects.find((o) => o.kind === 'Service' && o.metadata.name === 'edgehub-published')!;
    expect((hub.spec as { ports: { port: number }[] }).ports.map((p) => p.port)).toEqual([443, 5671, 8883]);
    expect(hub.metadata.annotations).toEqual({ 'net.azure-devices.edge.original-moduleid': 'edgeHub' });
    expect(result.objects.some((o) => o.metadata.name.includes('edgeagent'))).toBe(false);
  });

  it('passes the Kubernetes schemas', () => {
    assertValidK8s(result.objects);
  });
});

describe('translate: GPU sharing (two modules on one GPU, restartPolicy never)', () => {
  const cuda = (name: string, iterations: number) =>
    moduleModel(
      name,
      {
        Entrypoint: ['/bin/sh'],
        Cmd: ['-c', `/tmp/nbody -benchmark -i=${iterations}`],
        HostConfig: { IpcMode: 'host', PidMode: 'host', DeviceRequests: [{ Driver: 'nvidia', Count: 1, Capabilities: [['gpu']] }] },
        'k8s-experimental': { nodeSelector: { accelerator: 'nvidia' } },
      },
      { image: 'nvidia/samples:nbody', restartPolicy: 'never', env: [{ name: 'NVIDIA_VISIBLE_DEVICES', value: '0' }] },
    );
  const result = translate(deploymentModel([cuda('cuda2', 2000), cuda('cuda1', 1000)]), OPTIONS);

  it('becomes two run-once Jobs sharing host IPC and PID, each with one GPU', () => {
    expect(result.diagnostics).toEqual([]);
    const jobs = result.objects.filter((o) => o.kind === 'Job');
    expect(jobs.map((j) => j.metadata.name)).toEqual(['cuda1', 'cuda2']);
    for (const job of jobs) {
      const spec = job.spec as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(spec.backoffLimit).toBe(0);
      expect(spec.template.spec).toMatchObject({ hostIPC: true, hostPID: true, restartPolicy: 'Never', nodeSelector: { accelerator: 'nvidia' } });
      const c = spec.template.spec.containers[0];
      expect(c.command).toEqual(['/bin/sh']);
      expect(c.env[0]).toEqual({ name: 'NVIDIA_VISIBLE_DEVICES', value: '0' });
      expect(c.resources).toEqual({ limits: { 'nvidia.com/gpu': '1' } });
    }
    expect((jobs[0]!.spec as any).template.spec.containers[0].args).toEqual(['-c', '/tmp/nbody -benchmark -i=1000']); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(result.objects.filter((o) => o.kind === 'Deployment')).toEqual([]);
    assertValidK8s(result.objects);
  });
});

describe('translate: GPU sharing exactly as the Azure Stack Edge docs write it (no DeviceRequests)', () => {
  it('passes NVIDIA_VISIBLE_DEVICES through and requests no GPU resource', () => {
    const createOptions = { Entrypoint: ['/bin/sh'], Cmd: ['-c', '/tmp/nbody -benchmark -i=1000'], HostConfig: { IpcMode: 'host', PidMode: 'host' } };
    const env = [{ name: 'NVIDIA_VISIBLE_DEVICES', value: '0' }];
    const model = deploymentModel([
      moduleModel('cuda-sample1', createOptions, { image: 'nvidia/samples:nbody', restartPolicy: 'never', env }),
      moduleModel('cuda-sample2', createOptions, { image: 'nvidia/samples:nbody', restartPolicy: 'never', env }),
    ]);
    const r = translate(model, OPTIONS);
    expect(r.diagnostics).toEqual([]);
    const jobs = r.objects.filter((o) => o.kind === 'Job');
    expect(jobs.map((j) => j.metadata.name)).toEqual(['cuda-sample1', 'cuda-sample2']);
    const pod = (jobs[1]!.spec as any).template.spec; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(pod).toMatchObject({ hostIPC: true, hostPID: true, restartPolicy: 'Never' });
    expect(pod.containers[0].env[0]).toEqual({ name: 'NVIDIA_VISIBLE_DEVICES', value: '0' });
    expect(pod.containers[0]).not.toHaveProperty('resources');
    assertValidK8s(r.objects);
  });
});

describe('translate: behaviour', () => {
  const big: DeploymentModel = deploymentModel(
    [
      moduleModel('zeta', { HostConfig: { Binds: ['shared:/data'], PortBindings: { '1883/tcp': [{ HostPort: '1883' }] } } }, { image: 'contoso.azurecr.io/zeta:1' }),
      moduleModel('Alpha', { ExposedPorts: { '80/tcp': {} }, HostConfig: { Mounts: [{ Type: 'volume', Source: 'shared', Target: '/s' }] } }),
      moduleModel('beta', { HostConfig: { Memory: 1048576 } }, { restartPolicy: 'on-failure' }),
      moduleModel('mid_name', {}),
    ],
    { edgeHub: edgeHubModel(), registryCredentials: [credential('acr', 'contoso.azurecr.io')] },
  );

  it('is deterministic: the same model twice gives deep-equal output', () => {
    expect(translate(big, OPTIONS)).toEqual(translate(big, OPTIONS));
  });

  it('does not depend on the order of modules or credentials in the input', () => {
    const shuffled = { ...big, modules: [...big.modules].reverse(), registryCredentials: [...big.registryCredentials].reverse() };
    expect(JSON.stringify(translate(shuffled, OPTIONS))).toBe(JSON.stringify(translate(big, OPTIONS)));
  });

  it('orders Secrets, ServiceAccounts, claims, Services, Deployments, Jobs, by name within a kind', () => {
    const ids = translate(big, OPTIONS).objects.map((o) => `${o.kind}/${o.metadata.name}`);
    const mid = `mid-name-${shortHash('mid_name')}`;
    expect(ids).toEqual([
      'Secret/pull-acr',
      'ServiceAccount/alpha',
      'ServiceAccount/beta',
      'ServiceAccount/edgehub',
      `ServiceAccount/${mid}`,
      'ServiceAccount/zeta',
      'PersistentVolumeClaim/shared',
      'Service/alpha',
      'Service/beta',
      'Service/edgehub',
      'Service/edgehub-published',
      `Service/${mid}`,
      'Service/zeta',
      'Service/zeta-published',
      'Deployment/alpha',
      'Deployment/edgehub',
      `Deployment/${mid}`,
      'Deployment/zeta',
      'Job/beta',
    ]);
    assertValidK8s(translate(big, OPTIONS).objects);
  });

  it('reports a renamed module as a name-collision warning at the module', () => {
    const d = translate(big, OPTIONS).diagnostics.filter((x) => x.rule === 'name-collision');
    expect(d).toEqual([expect.objectContaining({ pointer: '/modulesContent/$edgeAgent/properties.desired/modules/mid_name', severity: 'warning', code: 200 })]);
    expect(d[0]!.message).toContain('mid_name');
  });

  it('keeps colliding modules apart with a hash and a warning', () => {
    const r = translate(deploymentModel([moduleModel('WebApp'), moduleModel('webapp')]), OPTIONS);
    expect(r.objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual(['webapp', `webapp-${shortHash('WebApp')}`]);
    expect(r.diagnostics).toEqual([expect.objectContaining({ rule: 'name-collision', pointer: expect.stringMatching(/\/modules\/WebApp$/) })]);
    assertValidK8s(r.objects);
  });

  it('skips a module with invalid createOptions and still translates the others', () => {
    const r = translate(deploymentModel([moduleModel('bad', { HostConfig: { PortBindings: { 'abc/tcp': [{ HostPort: '80' }] } } }), moduleModel('good')]), OPTIONS);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([
      expect.objectContaining({ code: 400, pointer: '/modulesContent/$edgeAgent/properties.desired/modules/bad/settings/createOptions/HostConfig/PortBindings/abc~1tcp' }),
    ]);
    expect(r.objects.map((o) => o.metadata.name)).toEqual(['good', 'good', 'good']);
  });

  it('a claim only used by a failed module is not produced', () => {
    const r = translate(deploymentModel([moduleModel('bad', { HostConfig: { Binds: ['vol:/v'], Memory: 'x' } })]), OPTIONS);
    expect(r.objects).toEqual([]);
  });

  it('rejects invalid options with an error and no objects, without throwing', () => {
    const r = translate(big, { namespace: 'Not Valid', portBindingServiceType: 'Ingress' as never });
    expect(r.objects).toEqual([]);
    expect(r.diagnostics.map((d) => [d.rule, d.severity])).toEqual([
      ['invalid-option', 'error'],
      ['invalid-option', 'error'],
    ]);
    expect(r.diagnostics[0]!.message).toContain("'namespace'");
  });

  it('a createOptions that is not an object is an error at the createOptions pointer', () => {
    const r = translate(deploymentModel([moduleModel('a', null as never), moduleModel('b', [1] as never)]));
    expect(r.diagnostics.map((d) => [d.severity, d.pointer.replace(/.*modules\//, '')])).toEqual([
      ['error', 'a/settings/createOptions'],
      ['error', 'b/settings/createOptions'],
    ]);
  });

  it('a malformed model never escapes as an exception: the module gets an internal error, others translate', () => {
    const broken = { ...moduleModel('broken'), env: undefined as never };
    const r = translate(deploymentModel([broken, moduleModel('fine')]));
    expect(r.diagnostics).toEqual([expect.objectContaining({ rule: 'internal', severity: 'error', pointer: expect.stringMatching(/modules\/broken$/) })]);
    expect(r.objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual(['fine']);
    // Its ServiceAccount and Service were built before the exception: none of them is left.
    expect(r.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ServiceAccount/fine', 'Service/fine', 'Deployment/fine']);
  });

  it('a module whose finished objects the API server would refuse produces none; the modules translated before and after it keep theirs', () => {
    // Annotations over 256 KiB: found on the finished Service and pod template.
    const big = { Labels: { 'example.com/big': 'x'.repeat(270 * 1024) } };
    const r = translate(deploymentModel([moduleModel('charlie'), moduleModel('alpha'), moduleModel('bravo', big)]));
    expect(r.diagnostics.map((d) => [d.severity, d.pointer.replace(/.*modules\//, '')])).toEqual([
      ['error', 'bravo/settings/createOptions/Labels'],
      ['error', 'bravo/settings/createOptions/Labels'],
    ]);
    expect(r.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/alpha',
      'ServiceAccount/charlie',
      'Service/alpha',
      'Service/charlie',
      'Deployment/alpha',
      'Deployment/charlie',
    ]);
  });

  it('a user module named like a system module is an error and is not deployed twice', () => {
    const r = translate(deploymentModel([moduleModel('edgeHub'), moduleModel('edgeAgent'), moduleModel('app')], { edgeHub: edgeHubModel() }));
    expect(r.diagnostics.map((d) => [d.rule, d.pointer.replace(/.*desired\//, '')])).toEqual([
      ['reserved-module-name', 'modules/edgeAgent'],
      ['reserved-module-name', 'modules/edgeHub'],
    ]);
    expect(r.objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual(['app', 'edgehub']);
    assertValidK8s(r.objects);
  });

  it('works with defaults and an empty deployment', () => {
    expect(translate(deploymentModel([]))).toEqual({ objects: [], diagnostics: [] });
  });
});

describe('translate: the objects are read-only and share parts (docs/translation.md)', () => {
  // Every sample manifest, frozen deeply: each consumer of translated objects must copy before it
  // changes anything, because a module's labels, selector and metadata are one object each.
  const samples = ['webserver.json', 'shares.json', 'registry-credentials.json', 'restart-policies.json', 'gpu-sharing.json', 'chunked-create-options.json'];
  const deepFreeze = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  };
  const load = async (file: string) => {
    const compiled = await compileFile(join(repoRoot, 'deployment-manifests', file), {}, OPTIONS);
    expect(compiled.ok).toBe(true);
    deepFreeze(compiled.objects);
    return compiled;
  };

  it('one labels, selector and metadata object per module, shared by its objects', async () => {
    const { objects } = await load('webserver.json');
    const get = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
    const deployment = get('Deployment', 'webserverapp') as KubeObject & { spec: { selector: { matchLabels: object }; template: { metadata: { labels: object } } } };
    const account = get('ServiceAccount', 'webserverapp');
    const headless = get('Service', 'webserverapp') as KubeObject & { spec: { selector: object } };
    const published = get('Service', 'webserverapp-published') as KubeObject & { spec: { selector: object } };
    expect(deployment.metadata).toBe(account.metadata);
    expect(deployment.spec.template.metadata.labels).toBe(deployment.metadata.labels);
    expect(headless.metadata.labels).toBe(deployment.metadata.labels);
    expect(deployment.spec.selector.matchLabels).toBe(headless.spec.selector);
    expect(published.spec.selector).toBe(headless.spec.selector);
    expect(deployment.metadata.labels).toEqual(LABELS('webserverapp'));
    expect(headless.spec.selector).toEqual(SELECTOR('webserverapp'));
  });

  it.each(samples)('%s: credentials, the reconcile plan and the YAML output leave frozen objects as they are', async (file) => {
    const { objects, model } = await load(file);
    const before = JSON.stringify(objects);
    const identities = new Map(['$edgeHub', ...model!.modules.map((m) => m.name)].map((moduleId, i) => [moduleId, { deviceId: 'ase-device', moduleId, generationId: `g${i}`, etag: `e${i}`, managedBy: 'IotEdge', keys: { primaryKey: Buffer.alloc(32, i).toString('base64'), secondaryKey: Buffer.alloc(32, i + 1).toString('base64') } }]));
    const input = { namespace: OPTIONS.namespace, hubHostName: OPTIONS.hubHostname, deviceId: OPTIONS.deviceId, gatewayHostName: 'edgehub', identities, moduleTrustBundlePem: 'CA', edgeHubTls: { serverCertChainPem: 'LEAF', serverKeyPem: 'KEY', trustBundlePem: 'CA' } };
    const desired = withCredentials(objects, input);
    const first = planReconcile(desired, new Map(), model!);
    const live = new Map(first.groups.flatMap((g) => g.writes).map((w) => [`${w.object.kind}/${w.object.metadata.name}`, w.object]));
    expect(planReconcile(desired, live, model!).groups.flatMap((g) => g.writes)).toEqual([]);
    expect(toYaml(objects)).toContain('kind: Deployment');
    expect(JSON.stringify(objects)).toBe(before);
  });
});
