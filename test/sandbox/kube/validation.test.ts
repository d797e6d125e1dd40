import { describe, expect, test } from '@jest/globals';
import { applyDefaults, defaultPullPolicy, type ServiceAllocator } from '../../../sandbox/kube/defaults.js';
import { findType } from '../../../sandbox/kube/resources.js';
import type { KubeObject } from '../../../sandbox/kube/types.js';
import {
  base64Error,
  dns1035LabelErrors,
  dns1123LabelErrors,
  dns1123SubdomainErrors,
  labelKeyErrors,
  labelValueErrors,
  portNameErrors,
  validateObject,
} from '../../../sandbox/kube/validation.js';

const deployments = findType('apps', 'deployments')!;
const services = findType('', 'services')!;
const jobs = findType('batch', 'jobs')!;
const pods = findType('', 'pods')!;
const configmaps = findType('', 'configmaps')!;

const alloc = (): ServiceAllocator & { ports: number[] } => {
  const ports: number[] = [];
  return {
    ports,
    clusterIP: () => '10.96.0.42',
    nodePort: () => 30080,
    reserveNodePort: (p) => ports.push(p),
  };
};

function deployment(): KubeObject {
  return {
    metadata: { name: 'web' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'nginx:1.25', ports: [{ containerPort: 80, name: 'http' }] }] } },
    },
  };
}

const fields = (type: Parameters<typeof validateObject>[0], obj: KubeObject, old?: KubeObject) => validateObject(type, obj, old).map((c) => `${c.field}:${c.reason}`);

describe('name and label rules', () => {
  test.each([
    ['web', true],
    ['web-1', true],
    ['1web', true],
    ['Web', false],
    ['web_1', false],
    ['-web', false],
    ['a'.repeat(64), false],
  ])('DNS-1123 label %s valid=%s', (name, ok) => expect(dns1123LabelErrors(name).length === 0).toBe(ok));

  test.each([
    ['web.example.com', true],
    ['web..x', false],
    ['a'.repeat(254), false],
  ])('DNS-1123 subdomain %s valid=%s', (name, ok) => expect(dns1123SubdomainErrors(name).length === 0).toBe(ok));

  test('DNS-1035 requires a leading letter', () => {
    expect(dns1035LabelErrors('web')).toEqual([]);
    expect(dns1035LabelErrors('1web')).toHaveLength(1);
  });

  test.each([
    ['app', true],
    ['example.com/app', true],
    ['app.kubernetes.io/name', true],
    ['/app', false],
    ['Example.com/app', false],
    ['a/b/c', false],
    ['-app', false],
  ])('label key %s valid=%s', (key, ok) => expect(labelKeyErrors(key).length === 0).toBe(ok));

  test('label values may be empty, not longer than 63 characters', () => {
    expect(labelValueErrors('')).toEqual([]);
    expect(labelValueErrors('v1.2_3')).toEqual([]);
    expect(labelValueErrors('a b')).toHaveLength(1);
    expect(labelValueErrors('a'.repeat(64))).toHaveLength(1);
  });

  test('base64 for Secret data and ConfigMap binaryData', () => {
    for (const ok of ['', 'aGk=', 'YQ==', 'YWJj', 'aGVsbG8=']) expect(base64Error(ok)).toBe(-1);
    expect(base64Error('aGVsbG8')).toBe(4);
    expect(base64Error('ab!c')).toBe(2);
    expect(base64Error('aGk=aGk=')).toBe(4);
    expect(base64Error('a===')).toBeGreaterThanOrEqual(0);
  });

  test('port names follow IANA_SVC_NAME', () => {
    expect(portNameErrors('http')).toEqual([]);
    expect(portNameErrors('8080')).toContain('must contain at least one letter (a-z)');
    expect(portNameErrors('a--b')).toContain('must not contain consecutive hyphens');
    expect(portNameErrors('a-very-long-port-name')).toContain('must be no more than 15 characters');
  });
});

describe('object validation', () => {
  test('a valid Deployment has no causes', () => {
    expect(validateObject(deployments, deployment())).toEqual([]);
  });

  test('selector must match the template labels, restartPolicy must be Always', () => {
    const d = deployment();
    (d.spec!.template as { metadata: { labels: Record<string, string> } }).metadata.labels = { app: 'other' };
    (d.spec!.template as { spec: Record<string, unknown> }).spec.restartPolicy = 'Never';
    expect(fields(deployments, d)).toEqual(['spec.template.metadata.labels:FieldValueInvalid', 'spec.template.spec.restartPolicy:FieldValueNotSupported']);
  });

  test('container names, duplicate names, images and ports', () => {
    const d = deployment();
    (d.spec!.template as { spec: Record<string, unknown> }).spec.containers = [
      { name: 'Main', image: 'x', ports: [{ containerPort: 0, name: 'HTTP' }] },
      { name: 'side', image: '' },
      { name: 'side', image: 'y', ports: [{ containerPort: 80, protocol: 'HTTP' }] },
    ];
    expect(fields(deployments, d)).toEqual([
      'spec.template.spec.containers[0].name:FieldValueInvalid',
      'spec.template.spec.containers[0].ports[0].containerPort:FieldValueInvalid',
      'spec.template.spec.containers[0].ports[0].name:FieldValueInvalid',
      'spec.template.spec.containers[0].ports[0].name:FieldValueInvalid',
      'spec.template.spec.containers[1].image:FieldValueRequired',
      'spec.template.spec.containers[2].name:FieldValueDuplicate',
      'spec.template.spec.containers[2].ports[0].protocol:FieldValueNotSupported',
    ]);
  });

  test('the Deployment selector is immutable', () => {
    const old = deployment();
    const d = deployment();
    (d.spec!.selector as { matchLabels: Record<string, string> }).matchLabels.extra = 'x';
    (d.spec!.template as { metadata: { labels: Record<string, string> } }).metadata.labels.extra = 'x';
    expect(fields(deployments, d, old)).toEqual(['spec.selector:FieldValueInvalid']);
  });

  test('Service names are DNS-1035 and ports are checked', () => {
    const svc: KubeObject = {
      metadata: { name: '9svc' },
      spec: { type: 'NodePort', ports: [{ port: 0, name: 'a' }, { port: 80, nodePort: 20000 }] },
    };
    expect(fields(services, svc)).toEqual([
      'metadata.name:FieldValueInvalid',
      'spec.ports[0].port:FieldValueInvalid',
      'spec.ports[1].name:FieldValueRequired',
      'spec.ports[1].nodePort:FieldValueInvalid',
    ]);
  });

  test('Service clusterIP and Job template are immutable', () => {
    const old: KubeObject = { metadata: { name: 's' }, spec: { clusterIP: '10.96.0.5', ports: [{ port: 80 }] } };
    expect(fields(services, { metadata: { name: 's' }, spec: { clusterIP: '10.96.0.6', ports: [{ port: 80 }] } }, old)).toEqual(['spec.clusterIP:FieldValueInvalid']);
    const job = (image: string): KubeObject => ({
      metadata: { name: 'j' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image }] } } },
    });
    expect(fields(jobs, job('b'), job('a'))).toEqual(['spec.template:FieldValueInvalid']);
  });

  test('Jobs need restartPolicy OnFailure or Never; Pods need containers', () => {
    const job: KubeObject = { metadata: { name: 'j' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } };
    expect(fields(jobs, job)).toEqual(['spec.template.spec.restartPolicy:FieldValueRequired']);
    expect(fields(pods, { metadata: { name: 'p' }, spec: {} })).toEqual(['spec.containers:FieldValueRequired']);
  });

  test('labels and names on any kind', () => {
    expect(fields(configmaps, { metadata: { name: 'UPPER', labels: { 'bad key!': 'v' } } })).toEqual(['metadata.name:FieldValueInvalid', 'metadata.labels:FieldValueInvalid']);
    expect(fields(configmaps, { metadata: {} })).toEqual(['metadata.name:FieldValueRequired']);
  });
});

describe('defaulting', () => {
  test('imagePullPolicy by tag', () => {
    expect(defaultPullPolicy('nginx')).toBe('Always');
    expect(defaultPullPolicy('nginx:latest')).toBe('Always');
    expect(defaultPullPolicy('nginx:1.25')).toBe('IfNotPresent');
    expect(defaultPullPolicy('registry:5000/nginx')).toBe('Always');
    expect(defaultPullPolicy('nginx@sha256:abc')).toBe('IfNotPresent');
  });

  test('Deployment defaults', () => {
    const d = deployment();
    applyDefaults(deployments, d, undefined, alloc());
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: {
        spec: {
          restartPolicy: 'Always',
          dnsPolicy: 'ClusterFirst',
          schedulerName: 'default-scheduler',
          terminationGracePeriodSeconds: 30,
          securityContext: {},
          containers: [
            {
              imagePullPolicy: 'IfNotPresent',
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              resources: {},
              ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
            },
          ],
        },
      },
    });
  });

  test('Recreate Deployments get no rollingUpdate block', () => {
    const d = deployment();
    d.spec!.strategy = { type: 'Recreate' };
    applyDefaults(deployments, d, undefined, alloc());
    expect(d.spec!.strategy).toEqual({ type: 'Recreate' });
  });

  test('Service defaults allocate a cluster IP and node ports, and keep them on update', () => {
    const a = alloc();
    const svc: KubeObject = { metadata: { name: 's' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 81, nodePort: 30001 }] } };
    applyDefaults(services, svc, undefined, a);
    expect(svc.spec).toMatchObject({
      clusterIP: '10.96.0.42',
      clusterIPs: ['10.96.0.42'],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      sessionAffinity: 'None',
      externalTrafficPolicy: 'Cluster',
      allocateLoadBalancerNodePorts: true,
      ports: [
        { port: 80, protocol: 'TCP', targetPort: 80, nodePort: 30080 },
        { port: 81, protocol: 'TCP', targetPort: 81, nodePort: 30001 },
      ],
    });
    expect(a.ports).toEqual([30001]);
    const next: KubeObject = { metadata: { name: 's' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } };
    applyDefaults(services, next, svc, { clusterIP: () => 'wrong', nodePort: () => 1, reserveNodePort: () => undefined });
    expect(next.spec).toMatchObject({ clusterIP: '10.96.0.42', ports: [{ port: 80, nodePort: 30080 }] });
  });

  test('Job defaults with the controller-uid selector and labels', () => {
    const job: KubeObject = { metadata: { name: 'j', uid: 'u-1' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i:1' }] } } } };
    applyDefaults(jobs, job, undefined, alloc());
    expect(job.spec).toMatchObject({
      backoffLimit: 6,
      completions: 1,
      parallelism: 1,
      completionMode: 'NonIndexed',
      suspend: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } },
      template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': 'u-1', 'batch.kubernetes.io/job-name': 'j', 'controller-uid': 'u-1', 'job-name': 'j' } } },
    });
  });
});
