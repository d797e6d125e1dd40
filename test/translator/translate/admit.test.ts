/** Admission: a desired deployment is accepted with its objects, or rejected with the lastDesiredStatus that explains it. */
import { parseManifest } from '../../../translator/manifest/index.js';
import { admitDeployment, describeErrors } from '../../../translator/translate/admit.js';
import { deploymentManifest, dockerModule } from '../../support/manifest.js';

const options = { namespace: 'ns', deviceId: 'dev' };

test('a valid deployment is accepted with its objects and warnings', () => {
  const manifest = parseManifest(
    deploymentManifest({ modules: { web: dockerModule('nginx:1.27', { settings: { image: 'nginx:1.27', createOptions: JSON.stringify({ HostConfig: { CapAdd: ['NET_ADMIN'], Privileged: false, Unknown: 1 } }) } }) } }),
  );
  const admission = admitDeployment(manifest, options);
  if (admission.kind !== 'accepted') throw new Error(JSON.stringify(admission));
  expect(admission.model.modules.filter((m) => !m.system).map((m) => m.name)).toEqual(['web']);
  expect(admission.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toContain('Deployment/web');
  expect(admission.objects.every((o) => o.metadata.namespace === 'ns' || o.kind === 'Namespace')).toBe(true);
  expect(admission.warnings.every((d) => d.severity === 'warning')).toBe(true);
  expect(admission.warnings.length).toBeGreaterThan(0);
});

test('an invalid manifest is rejected with its status code and each error with its pointer', () => {
  const doc = deploymentManifest({ modules: { web: dockerModule('nginx:1.27', { restartPolicy: 'sometimes' }) } });
  const admission = admitDeployment(parseManifest(doc), options);
  expect(admission.kind).toBe('rejected');
  if (admission.kind !== 'rejected') return;
  expect(admission.status.code).toBe(400);
  expect(admission.status.description).toMatch(/^\/modulesContent\/\$edgeAgent\/properties\.desired\/modules\/web\/restartPolicy: /);
});

test('a manifest whose translation fails is rejected too', () => {
  const bad = JSON.stringify({ HostConfig: { Memory: 'lots' } });
  const admission = admitDeployment(parseManifest(deploymentManifest({ modules: { web: dockerModule('nginx:1.27', { settings: { image: 'nginx:1.27', createOptions: bad } }) } })), options);
  expect(admission).toMatchObject({ kind: 'rejected', status: { code: 400 } });
});

test('the description stays within 1000 characters and lists only errors', () => {
  const many = Array.from({ length: 40 }, (_, i) => ({ pointer: `/modules/m${i}`, code: 400 as const, message: 'x'.repeat(40), severity: 'error' as const, rule: 'test' }));
  const text = describeErrors([...many, { pointer: '/w', code: 400, message: 'a warning', severity: 'warning', rule: 'test' }]);
  expect(text).toHaveLength(1000);
  expect(text.endsWith('...')).toBe(true);
  expect(text).not.toContain('a warning');
  expect(describeErrors([{ pointer: '', code: 417, message: 'empty', severity: 'error', rule: 'test' }])).toBe('/: empty');
});
