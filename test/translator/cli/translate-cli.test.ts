/**
 * `validate` and `translate` through the CLI on manifests real users write: quantities as JSON
 * numbers, `$VAR` placeholders of any case, bound ports, module names, names Kubernetes owns,
 * Docker Labels on Services.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { find, module, modulesPointer, run, tmp, translateJson, writeManifest, type Json } from './manifests.js';
import { repoRoot, samplePath } from '../../golden/samples.js';

const desired = '/modulesContent/$edgeAgent/properties.desired';

describe('quantities given as JSON numbers', () => {
  it('become canonical quantity strings in resources and in k8s-experimental volumes', async () => {
    const file = writeManifest('quantities.json', (d) => {
      d.modules.gpu = module({
        'k8s-experimental': {
          resources: { limits: { 'nvidia.com/gpu': 2, cpu: 1.5, memory: 268435456, 'ephemeral-storage': 2000000 }, requests: { 'nvidia.com/gpu': 2, cpu: 0.25, memory: 1000 } },
          volumes: [{ volume: { name: 'scratch', emptyDir: { sizeLimit: 1073741824 } }, volumeMounts: [{ mountPath: '/scratch' }] }],
        },
      });
    });
    const { code, items } = await translateJson(file);
    expect(code).toBe(0);
    const pod = find(items, 'Deployment', 'gpu').spec.template.spec;
    expect(pod.containers[0].resources).toEqual({
      limits: { 'nvidia.com/gpu': '2', cpu: '1500m', memory: '268435456', 'ephemeral-storage': '2M' },
      requests: { 'nvidia.com/gpu': '2', cpu: '250m', memory: '1k' },
    });
    expect(pod.volumes).toContainEqual({ name: 'scratch', emptyDir: { sizeLimit: '1073741824' } });
  });

  it('GPU counts from DeviceRequests are strings too', async () => {
    const file = writeManifest('gpu-count.json', (d) => {
      d.modules.cuda = module({ HostConfig: { DeviceRequests: [{ Driver: 'nvidia', Count: 3, Capabilities: [['gpu']] }] } });
    });
    const { items } = await translateJson(file);
    expect(find(items, 'Deployment', 'cuda').spec.template.spec.containers[0].resources.limits).toEqual({ 'nvidia.com/gpu': '3' });
  });
});

describe('$VAR placeholders of any case in templates', () => {
  function template(name: string, env: string, credentials: Json, image: string, routes: Json = { upstream: 'FROM /messages/* INTO $upstream' }): string {
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    const doc = {
      $schema: 'https://json.schemastore.org/azure-iot-edge-deployment-template-4.0',
      modulesContent: {
        $edgeAgent: {
          'properties.desired': {
            schemaVersion: '1.1',
            runtime: { type: 'docker', settings: { minDockerVersion: 'v1.25', loggingOptions: '', registryCredentials: credentials } },
            systemModules: {
              edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5', createOptions: {} } },
              edgeHub: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5', createOptions: {} } },
            },
            modules: { app: { version: '1.0', type: 'docker', status: 'running', restartPolicy: 'always', settings: { image, createOptions: {} } } },
          },
        },
        $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
      },
    };
    writeFileSync(join(dir, 'deployment.template.json'), JSON.stringify(doc, null, 2));
    writeFileSync(join(dir, '.env'), env);
    return join(dir, 'deployment.template.json');
  }

  const credentials = { myacr: { username: '$CONTAINER_REGISTRY_USERNAME_myacr', password: '$CONTAINER_REGISTRY_PASSWORD_myacr', address: '$acr_address' } };

  it('match the whole name, any case, and are substituted when defined', async () => {
    const file = template(
      'mixed-case',
      'CONTAINER_REGISTRY_USERNAME_myacr=robot\nCONTAINER_REGISTRY_PASSWORD_myacr=s3cr3t-pw\nacr_address=myacr.azurecr.io\nImage_Tag=2.1\n',
      credentials,
      'myacr.azurecr.io/app:$Image_Tag',
    );
    const { code, items, err } = await translateJson(file);
    expect(err).toBe('');
    expect(code).toBe(0);
    const secret = find(items, 'Secret', 'pull-myacr');
    const config = JSON.parse(Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString('utf8'));
    expect(config.auths).toEqual({ 'myacr.azurecr.io': { username: 'robot', password: 's3cr3t-pw', auth: Buffer.from('robot:s3cr3t-pw').toString('base64') } });
    const pod = find(items, 'Deployment', 'app').spec.template.spec;
    expect(pod.containers[0].image).toBe('myacr.azurecr.io/app:2.1');
    expect(pod.imagePullSecrets).toEqual([{ name: 'pull-myacr' }]);
  });

  it('an unset one is an error at its pointer, naming the whole placeholder; IoT Edge words stay', async () => {
    const file = template('unset', 'CONTAINER_REGISTRY_USERNAME_myacr=robot\n', credentials, 'myacr.azurecr.io/app:1.0', {
      upstream: 'FROM /messages/* WHERE $connectionDeviceId = "x" INTO $upstream',
    });
    const r = await run('validate', file);
    expect(r.code).toBe(1);
    const lines = r.out.trim().split('\n');
    const cred = `${desired}/runtime/settings/registryCredentials/myacr`;
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^error 400 ${escape(cred)}/password: unresolved placeholder \\$CONTAINER_REGISTRY_PASSWORD_myacr:`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^error 400 ${escape(cred)}/address: unresolved placeholder \\$acr_address:`)));
    // Nothing else: $upstream, $connectionDeviceId (routes) and $edgeAgent/$edgeHub are IoT Edge's own.
    expect(lines).toHaveLength(2);
  });

  it('a plain manifest that still holds $NAME in a credential or image gets a warning at its pointer', async () => {
    const file = writeManifest('leftover.json', (d) => {
      d.runtime.settings.registryCredentials = { acr: { username: '$CONTAINER_REGISTRY_USERNAME', password: '$CONTAINER_REGISTRY_PASSWORD', address: '$acr_address' } };
      d.modules.app = module({}, { settings: { image: '${ACR}/app:1.0' } });
    });
    const r = await run('validate', file);
    expect(r.code).toBe(0);
    const cred = `${desired}/runtime/settings/registryCredentials/acr`;
    expect(r.out).toContain(`warning 200 ${cred}/address: registry credential 'acr' address holds '$acr_address'`);
    expect(r.out).toContain(`warning 200 ${cred}/username: registry credential 'acr' username holds '$CONTAINER_REGISTRY_USERNAME'`);
    expect(r.out).toContain(`warning 200 ${cred}/password: registry credential 'acr' password is a placeholder name`);
    expect(r.out).toContain(`warning 200 ${modulesPointer}/app/settings/image: module 'app' image '\${ACR}/app:1.0' holds '\${ACR}'`);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('ports and module names inside the device', () => {
  it('a bound port is published on its HostPort outside and reachable on its container port by the module name', async () => {
    const file = writeManifest('sql.json', (d) => {
      d.modules.sql = module({ HostConfig: { PortBindings: { '1433/tcp': [{ HostPort: '1401' }] } } });
    });
    const { items } = await translateJson(file);
    const published = find(items, 'Service', 'sql-published');
    expect(published.spec.type).toBe('LoadBalancer');
    expect(published.spec.ports).toEqual([{ name: 'tcp-1401', port: 1401, protocol: 'TCP', targetPort: 1433 }]);
    const byName = find(items, 'Service', 'sql');
    expect(byName.spec.clusterIP).toBe('None');
    expect(byName.spec.ports).toEqual([{ name: 'tcp-1433', port: 1433, protocol: 'TCP', targetPort: 1433 }]);
    expect(byName.spec.selector).toEqual(published.spec.selector);
    expect(find(items, 'Deployment', 'sql').spec.template.metadata.labels).toEqual(expect.objectContaining(byName.spec.selector));
  });

  it('every module, with or without ports, has a headless Service of its name selecting its pods', async () => {
    const file = writeManifest('plain.json', (d) => {
      d.modules.collector = module({});
      d.modules.Exposer = module({ ExposedPorts: { '9600/tcp': {} } });
    });
    const { items } = await translateJson(file);
    for (const [name, ports] of [['collector', undefined], ['exposer', [{ name: 'tcp-9600', port: 9600, protocol: 'TCP', targetPort: 9600 }]], ['edgehub', expect.any(Array)]] as const) {
      const svc = find(items, 'Service', name);
      expect(svc.spec).toEqual(expect.objectContaining({ clusterIP: 'None', publishNotReadyAddresses: true }));
      expect(svc.spec.ports).toEqual(ports);
      const template = find(items, 'Deployment', name).spec.template;
      for (const [k, v] of Object.entries(svc.spec.selector)) expect(template.metadata.labels[k]).toBe(v);
    }
    expect(items.filter((o: Json) => o.kind === 'Service' && o.metadata.name.startsWith('exposer'))).toHaveLength(1);
  });
});

describe('names Kubernetes owns', () => {
  it.each([
    ['default', 'iotedge', 'ServiceAccount'],
    ['Default', 'iotedge', 'ServiceAccount'],
    ['kubernetes', 'default', 'Service'],
    ['iotedge-k8s', 'iotedge', 'ServiceAccount'],
  ])('a module named %s (namespace %s) gets a hashed name with a warning, never the %s Kubernetes keeps', async (id, namespace, kind) => {
    const file = writeManifest(`reserved-${id}-${namespace}.json`, (d) => {
      d.modules[id] = module({ HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8081' }] } } });
    });
    const r = await run('translate', file, '--output', 'json', '--namespace', namespace);
    expect(r.code).toBe(0);
    const items = (JSON.parse(r.out) as { items: Json[] }).items;
    expect(items.find((o) => o.metadata.name === id.toLowerCase())).toBeUndefined();
    const workload = items.find((o) => o.kind === 'Deployment' && o.metadata.annotations['net.azure-devices.edge.original-moduleid'] === id);
    expect(workload.metadata.name).toMatch(new RegExp(`^${id.toLowerCase()}-[0-9a-f]{8}$`));
    expect(items.find((o) => o.kind === kind && o.metadata.name === workload.metadata.name)).toBeDefined();
    expect(r.err).toContain(`warning 200 ${modulesPointer}/${id}: module '${id}' would take the name of`);
  });

  it('a published Service name never takes another module name', async () => {
    const file = writeManifest('published-clash.json', (d) => {
      d.modules.web = module({ HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8081' }] } } });
      d.modules['web-published'] = module({});
    });
    const { code, items } = await translateJson(file);
    expect(code).toBe(0);
    const services = items.filter((o) => o.kind === 'Service').map((o) => o.metadata.name);
    expect(new Set(services).size).toBe(services.length);
    expect(find(items, 'Service', 'web-published').spec.clusterIP).toBe('None');
  });
});

describe('Docker Labels', () => {
  it('go on every Service of the module as annotations, as on its pods', async () => {
    const labels = { 'metallb.universe.tf/allow-shared-ip': 'edge-ip', 'com.contoso.team': 'vision' };
    const file = writeManifest('labels.json', (d) => {
      d.modules.camera = module({ Labels: labels, HostConfig: { PortBindings: { '554/tcp': [{ HostPort: '554' }] } } });
    });
    const { items } = await translateJson(file);
    for (const name of ['camera', 'camera-published']) expect(find(items, 'Service', name).metadata.annotations).toEqual(expect.objectContaining(labels));
    expect(find(items, 'Deployment', 'camera').spec.template.metadata.annotations).toEqual(expect.objectContaining(labels));
  });
});

describe('translate namespace and defaults, as run', () => {
  it('defaults to namespace iotedge and prints the Namespace first', async () => {
    const r = await run('translate', samplePath('webserver.json'), '--output', 'json');
    expect(r.code).toBe(0);
    const items = (JSON.parse(r.out) as { items: Json[] }).items;
    expect(items[0]).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'iotedge' } });
    expect(items.slice(1).every((o) => o.metadata.namespace === 'iotedge')).toBe(true);
    expect(find(items, 'Deployment', 'webserverapp').metadata.labels).toEqual(
      expect.objectContaining({ 'net.azure-devices.edge.deviceid': 'edge-device', 'net.azure-devices.edge.hub': 'localhost' }),
    );
  });

  it('--namespace names it; --no-namespace leaves it out', async () => {
    const named = await translateJson(samplePath('webserver.json'), '--namespace', 'site-b');
    expect(named.items[0]).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'site-b' } });
    const without = await translateJson(samplePath('webserver.json'), '--namespace', 'site-b', '--no-namespace');
    expect(without.items.some((o) => o.kind === 'Namespace')).toBe(false);
    expect(without.items.every((o) => o.metadata.namespace === 'site-b')).toBe(true);
  });

  it('--help documents the defaults', async () => {
    const r = await run('translate', '--help');
    expect(r.out).toMatch(/--namespace <ns>\s+namespace of every object \(default: iotedge\)/);
    expect(r.out).toMatch(/--no-namespace/);
    expect(r.out).toMatch(/--hub <host>[^]*default: localhost/);
  });
});

describe('the README', () => {
  it("shows exactly what validate prints for its example", async () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const block = /```\n\$ cd deployment-manifests && npx iotedge-k8s validate broken\.json\n([^]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const cwd = process.cwd();
    process.chdir(join(repoRoot, 'deployment-manifests'));
    try {
      const r = await run('validate', 'broken.json');
      expect(r.code).toBe(1);
      expect(r.out).toBe(block![1]);
    } finally {
      process.chdir(cwd);
    }
  });
});
