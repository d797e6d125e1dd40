import { normalizeRegistry, pullSecretFinder, pullSecretNames, pullSecretRefs, pullSecretsFor, registryOf } from '../../../translator/translate/pull-secret.js';
import { translate } from '../../../translator/translate/index.js';
import { credential, deploymentModel, moduleModel } from './builders.js';
import { assertValidK8s } from '../../support/k8s-schema.js';
import { shortHash } from '../../../translator/translate/names.js';

describe('registries', () => {
  it('registryOf takes the host part of the image, docker.io when none', () => {
    expect(registryOf('contoso.azurecr.io/app:1.0')).toBe('contoso.azurecr.io');
    expect(registryOf('localhost:5000/app:1')).toBe('localhost:5000');
    expect(registryOf('nginx:latest')).toBe('docker.io');
    expect(registryOf('library/nginx:latest')).toBe('docker.io');
    expect(registryOf('docker.io/library/nginx:latest')).toBe('docker.io');
  });

  it('normalizeRegistry drops scheme, path and case; Docker Hub aliases become docker.io', () => {
    expect(normalizeRegistry('https://Contoso.azurecr.io/')).toBe('contoso.azurecr.io');
    expect(normalizeRegistry('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normalizeRegistry('myreg:5000')).toBe('myreg:5000');
  });
});

describe('pull Secrets', () => {
  const model = deploymentModel(
    [
      moduleModel('app', {}, { image: 'contoso.azurecr.io/app:2.1' }),
      moduleModel('hub', {}, { image: 'nginx:latest' }),
      moduleModel('other', {}, { image: 'mcr.microsoft.com/x:1' }),
    ],
    { registryCredentials: [credential('contoso', 'https://contoso.azurecr.io/', 'contoso', 'p@ss'), credential('Docker_Hub', 'docker.io', 'me', 'pw')] },
  );
  const result = translate(model);
  const secrets = result.objects.filter((o) => o.kind === 'Secret');
  const pullSecretsOf = (name: string): unknown =>
    (result.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!.spec as any).template.spec.imagePullSecrets; // eslint-disable-line @typescript-eslint/no-explicit-any

  it('one dockerconfigjson Secret per credential, named pull-<key>', () => {
    expect(secrets.map((s) => s.metadata.name)).toEqual(['pull-contoso', `pull-docker-hub-${shortHash('pull-Docker_Hub')}`]);
    const contoso = secrets.find((s) => s.metadata.name === 'pull-contoso')!;
    expect(contoso.type).toBe('kubernetes.io/dockerconfigjson');
    const config = JSON.parse(Buffer.from((contoso.data as Record<string, string>)['.dockerconfigjson']!, 'base64').toString('utf8'));
    expect(config).toEqual({
      auths: { 'contoso.azurecr.io': { username: 'contoso', password: 'p@ss', auth: Buffer.from('contoso:p@ss').toString('base64') } },
    });
    expect(contoso.metadata.labels).not.toHaveProperty(['net.azure-devices.edge.module']);
  });

  it('Docker Hub credentials use the index.docker.io auth key', () => {
    const hub = secrets.find((s) => s.metadata.name.startsWith('pull-docker-hub'))!;
    const config = JSON.parse(Buffer.from((hub.data as Record<string, string>)['.dockerconfigjson']!, 'base64').toString('utf8'));
    expect(Object.keys(config.auths)).toEqual(['https://index.docker.io/v1/']);
  });

  it('attaches Secrets to the modules whose image registry matches', () => {
    expect(pullSecretsOf('app')).toEqual([{ name: 'pull-contoso' }]);
    expect(pullSecretsOf('hub')).toEqual([{ name: secrets[1]!.metadata.name }]);
    expect(pullSecretsOf('other')).toBeUndefined();
  });

  it('never puts a password in a diagnostic', () => {
    expect(JSON.stringify(result.diagnostics)).not.toContain('p@ss');
    expect(JSON.stringify(result.diagnostics)).not.toContain('pw');
  });

  it('produces valid objects', () => {
    assertValidK8s(result.objects);
  });

  it('a later translation with a changed username, password or address encodes the new values (encodings are reused only for equal credentials)', () => {
    const configOf = (c: ReturnType<typeof credential>): unknown => {
      const secret = translate(deploymentModel([], { registryCredentials: [c] })).objects.find((o) => o.kind === 'Secret')!;
      return JSON.parse(Buffer.from((secret.data as Record<string, string>)['.dockerconfigjson']!, 'base64').toString('utf8'));
    };
    const auths = (address: string, username: string, password: string): unknown => ({
      auths: { [address]: { username, password, auth: Buffer.from(`${username}:${password}`).toString('base64') } },
    });
    expect(configOf(credential('c', 'reg.example.com', 'u', 'one'))).toEqual(auths('reg.example.com', 'u', 'one'));
    expect(configOf(credential('c', 'reg.example.com', 'u', 'two'))).toEqual(auths('reg.example.com', 'u', 'two'));
    expect(configOf(credential('c', 'reg.example.com', 'v', 'two'))).toEqual(auths('reg.example.com', 'v', 'two'));
    expect(configOf(credential('c', 'other.example.com', 'v', 'two'))).toEqual(auths('other.example.com', 'v', 'two'));
    expect(configOf(credential('c', 'reg.example.com', 'u', 'one'))).toEqual(auths('reg.example.com', 'u', 'one'));
  });
});

describe('pullSecretFinder', () => {
  const credentials = [credential('acr', 'contoso.azurecr.io'), credential('acr2', 'https://contoso.azurecr.io/'), credential('hub', 'docker.io')];
  const find = pullSecretFinder(credentials, pullSecretNames(credentials));

  it("gives an image the sorted Secrets of its registry, one list per registry", () => {
    const first = find('contoso.azurecr.io/a:1');
    expect(first).toEqual(['pull-acr', 'pull-acr2']);
    expect(find('Contoso.azurecr.io/b@sha256:' + '0'.repeat(64))).toBe(first);
    expect(find('nginx:1.25')).toEqual(['pull-hub']);
    expect(find('mcr.microsoft.com/azureiotedge-hub:1.5')).toEqual([]);
  });

  it('pullSecretsFor sorts the names of a registry whatever the order of the credentials', () => {
    const reversed = [credential('zeta', 'contoso.azurecr.io'), credential('hub', 'docker.io'), credential('alpha', 'contoso.azurecr.io')];
    expect(pullSecretsFor('contoso.azurecr.io/a:1', reversed, pullSecretNames(reversed))).toEqual(['pull-alpha', 'pull-zeta']);
    expect(pullSecretsFor('mcr.microsoft.com/azureiotedge-hub:1.5', reversed, pullSecretNames(reversed))).toEqual([]);
  });

  it('answers as pullSecretsFor for every image, whatever was asked before (the lists are kept by the text before the first /)', () => {
    const images = ['nginx', 'library/nginx', 'docker.io/x', 'Docker.IO/y', 'index.docker.io/z', '/odd', 'localhost:5000/a', 'localhost/b', 'contoso.azurecr.io/a', 'HTTPS:', 'contoso.azurecr.io:443/c'];
    const names = pullSecretNames(credentials);
    const fresh = pullSecretFinder(credentials, names);
    for (const image of [...images, ...images.reverse()]) expect(fresh(image)).toEqual(pullSecretsFor(image, credentials, names));
  });

  it('pullSecretRefs builds the entries of a list once: modules of one registry share them', () => {
    const refsOf = pullSecretRefs();
    const one = ['pull-a', 'pull-b'];
    const other = ['pull-c'];
    expect(refsOf(one)).toEqual([{ name: 'pull-a' }, { name: 'pull-b' }]);
    expect(refsOf(one)).toBe(refsOf(one));
    expect(refsOf(other)).toEqual([{ name: 'pull-c' }]);
    expect(refsOf([])).toEqual([]);
    // Through translate: two modules of one registry, the same entries; another registry, its own.
    const model = deploymentModel(
      [
        moduleModel('a', {}, { image: 'contoso.azurecr.io/a:1' }),
        moduleModel('b', {}, { image: 'contoso.azurecr.io/b:1' }),
        moduleModel('c', {}, { image: 'fabrikam.azurecr.io/c:1' }),
      ],
      { registryCredentials: [credential('contoso', 'contoso.azurecr.io'), credential('fabrikam', 'fabrikam.azurecr.io')] },
    );
    const refs = (name: string): unknown =>
      (translate(model).objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!.spec as any).template.spec.imagePullSecrets; // eslint-disable-line @typescript-eslint/no-explicit-any
    const out = translate(model).objects.filter((o) => o.kind === 'Deployment').map((o) => (o.spec as any).template.spec.imagePullSecrets); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(out[0]).toBe(out[1]);
    expect(out[0]).toEqual([{ name: 'pull-contoso' }]);
    expect(refs('c')).toEqual([{ name: 'pull-fabrikam' }]);
  });
});
