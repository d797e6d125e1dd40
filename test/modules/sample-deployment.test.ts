/**
 * deployment-manifests/sample-modules/deployment.template.json uses the sample modules through
 * `${MODULES.webserver}` / `${MODULES.telemetry}`; its `modules` is a symlink to the repository's
 * modules/, which the loader must follow.
 */
import { lstat, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { compileFile } from '../../translator/sources/index.js';

const dir = 'deployment-manifests/sample-modules';

test('modules/ beside the template is a relative symlink to the repository modules/', async () => {
  expect((await lstat(join(dir, 'modules'))).isSymbolicLink()).toBe(true);
  expect(await readlink(join(dir, 'modules'))).toBe('../../modules');
});

test('the template resolves the sample images from their module.json and translates cleanly', async () => {
  const compiled = await compileFile(join(dir, 'deployment.template.json'), { env: {} }, { namespace: 'samples', deviceId: 'edge-device' });
  expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(compiled.ok).toBe(true);
  const version = async (name: string): Promise<string> => (JSON.parse(await readFile(`modules/${name}/module.json`, 'utf8')) as { image: { tag: { version: string } } }).image.tag.version;
  const images = new Map(compiled.model!.modules.map((m) => [m.name, m.image]));
  expect(images.get('webserver')).toBe(`localhost:5000/webserver:${await version('webserver')}-amd64`);
  expect(images.get('telemetry')).toBe(`localhost:5000/telemetry:${await version('telemetry')}-amd64`);

  const kinds = compiled.objects.map((o) => `${o.kind}/${o.metadata.name}`);
  expect(kinds).toEqual(expect.arrayContaining(['Deployment/webserver', 'Deployment/telemetry', 'Service/webserver-published']));
  const service = compiled.objects.find((o) => o.kind === 'Service' && o.metadata.name === 'webserver-published') as unknown as { spec: { ports: { port: number }[] } };
  expect(service.spec.ports.map((p) => p.port)).toEqual([8080]);
});
