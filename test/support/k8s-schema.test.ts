import { assertValidK8s, k8sProblems } from './k8s-schema.js';

const deployment = (patch: (d: any) => void = () => {}): any => { // eslint-disable-line @typescript-eslint/no-explicit-any
  const d = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80, name: 'http' }] }] },
      },
    },
  };
  patch(d);
  return d;
};

describe('assertValidK8s', () => {
  it('accepts a valid object', () => {
    expect(k8sProblems(deployment())).toEqual([]);
    expect(() => assertValidK8s([deployment()])).not.toThrow();
  });

  it.each([
    ['a schema type error', (d: any) => (d.spec.replicas = '1'), 'schema'], // eslint-disable-line @typescript-eslint/no-explicit-any
    ['an unknown field', (d: any) => (d.spec.template.spec.containers[0].imagePullPolicyy = 'Always'), 'unknown field'], // eslint-disable-line @typescript-eslint/no-explicit-any
    ['an invalid name', (d: any) => (d.metadata.name = 'Web_1'), 'metadata.name'], // eslint-disable-line @typescript-eslint/no-explicit-any
    ['an invalid label value', (d: any) => (d.metadata.labels.app = '-bad-'), 'label value'], // eslint-disable-line @typescript-eslint/no-explicit-any
    ['a selector that does not match', (d: any) => (d.spec.selector.matchLabels.app = 'other'), 'selector'], // eslint-disable-line @typescript-eslint/no-explicit-any
    ['a long port name', (d: any) => (d.spec.template.spec.containers[0].ports[0].name = 'http-port-number-80'), 'IANA_SVC_NAME'], // eslint-disable-line @typescript-eslint/no-explicit-any
    ['a mount without volume', (d: any) => (d.spec.template.spec.containers[0].volumeMounts = [{ name: 'x', mountPath: '/x' }]), 'refers to no volume'], // eslint-disable-line @typescript-eslint/no-explicit-any
    ['request above limit', (d: any) => (d.spec.template.spec.containers[0].resources = { limits: { cpu: '1' }, requests: { cpu: '2' } }), 'does not fit'], // eslint-disable-line @typescript-eslint/no-explicit-any
    ['restartPolicy Never in a Deployment', (d: any) => (d.spec.template.spec.restartPolicy = 'Never'), 'restartPolicy'], // eslint-disable-line @typescript-eslint/no-explicit-any
  ])('rejects %s', (_name, patch, fragment) => {
    const problems = k8sProblems(deployment(patch));
    expect(problems.join('\n')).toContain(fragment);
    expect(() => assertValidK8s([deployment(patch)])).toThrow(/invalid Kubernetes objects/);
  });

  it('rejects Service names that are not DNS-1035 labels and duplicate objects', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: '1web' }, spec: { ports: [{ port: 80 }] } };
    expect(k8sProblems(svc).join()).toContain('metadata.name');
    expect(() => assertValidK8s([deployment(), deployment()])).toThrow(/duplicated object/);
  });

  it('rejects kinds it has no schema for', () => {
    expect(k8sProblems({ apiVersion: 'v1', kind: 'Widget', metadata: { name: 'x' } })).toEqual([expect.stringContaining('no schema')]);
  });
});
