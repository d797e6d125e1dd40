/**
 * Golden decoding of the protobuf bodies kubectl 1.32 really sends (captured once from
 * `kubectl create ...` against the emulator, in fixtures/protobuf).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { KubeApiError } from '../../../sandbox/kube/errors.js';
import { decodeProtobufBody } from '../../../sandbox/kube/protobuf.js';
import { repoRoot } from '../../golden/samples.js';

const fixture = (name: string) => readFileSync(join(repoRoot, 'test', 'sandbox', 'kube', 'fixtures', 'protobuf', `${name}.bin`));

describe('decodeProtobufBody', () => {
  test('kubectl create namespace captured', () => {
    expect(decodeProtobufBody(fixture('namespace'))).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'captured' },
      spec: {},
      status: {},
    });
  });

  test('kubectl create deployment web --image=nginx:1.27 --replicas=2 --port=80', () => {
    const d = decodeProtobufBody(fixture('deployment'));
    expect(d).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        strategy: {},
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }], resources: {} }] },
        },
      },
    });
    // Non-pointer zero values that Go's JSON would omit are gone; the container is exactly what kubectl meant.
    expect((d.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers[0]).toEqual({
      name: 'nginx',
      image: 'nginx:1.27',
      ports: [{ containerPort: 80 }],
      resources: {},
    });
    expect((d.spec as Record<string, unknown>).minReadySeconds).toBeUndefined();
    expect((d.spec as Record<string, unknown>).paused).toBeUndefined();
  });

  test('configmap and secrets: string maps and bytes as base64', () => {
    expect(decodeProtobufBody(fixture('configmap'))).toMatchObject({ kind: 'ConfigMap', data: { a: '1', greeting: 'hello world' } });
    const secret = decodeProtobufBody(fixture('secret'));
    expect(secret).toMatchObject({ kind: 'Secret', metadata: { name: 'creds' } });
    expect(secret.type).toBeUndefined();
    expect(Buffer.from((secret.data as Record<string, string>).password!, 'base64').toString()).toBe('s3cr3t');
    const docker = decodeProtobufBody(fixture('secret-docker'));
    expect(docker.type).toBe('kubernetes.io/dockerconfigjson');
    expect(JSON.parse(Buffer.from((docker.data as Record<string, string>)['.dockerconfigjson']!, 'base64').toString())).toEqual({
      auths: { 'registry.example': { username: 'u', password: 'p', auth: Buffer.from('u:p').toString('base64') } },
    });
  });

  test('service: IntOrString targetPort as a number; job: command and restartPolicy', () => {
    expect(decodeProtobufBody(fixture('service'))).toMatchObject({
      kind: 'Service',
      spec: { type: 'ClusterIP', selector: { app: 'svc' }, ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }] },
    });
    expect(decodeProtobufBody(fixture('service-lb'))).toMatchObject({ spec: { type: 'LoadBalancer', ports: [{ port: 443, targetPort: 8443 }] } });
    expect(decodeProtobufBody(fixture('job'))).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'Job',
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'once', image: 'busybox:1.36', command: ['echo', 'hi'] }] } } },
    });
    expect(decodeProtobufBody(fixture('serviceaccount'))).toEqual({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: 'default' } });
  });

  test('bad input: no magic is 400, a kind without a message is 415, truncated bytes are 400', () => {
    const status = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return (error as KubeApiError).code;
      }
      return 0;
    };
    expect(status(() => decodeProtobufBody(Buffer.from('{"kind":"Namespace"}')))).toBe(400);
    const ns = fixture('namespace');
    const renamed = Buffer.from(ns.toString('latin1').replace('Namespace', 'Nonesuchx'), 'latin1');
    expect(status(() => decodeProtobufBody(renamed))).toBe(415);
    expect(status(() => decodeProtobufBody(ns.subarray(0, ns.length - 5)))).toBe(400);
  });
});
