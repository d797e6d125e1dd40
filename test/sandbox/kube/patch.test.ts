import { describe, expect, test } from '@jest/globals';
import { jsonMergePatch, jsonPatch, strategicMergePatch } from '../../../sandbox/kube/patch.js';

describe('JSON merge patch', () => {
  test('merges maps, null deletes, lists replace', () => {
    expect(jsonMergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null, e: 4 }, l: [3] })).toEqual({ a: 1, b: { d: 3, e: 4 }, l: [3] });
  });
});

describe('JSON patch', () => {
  test('add, replace, remove, test', () => {
    const doc = { spec: { replicas: 1, list: ['a'] } };
    expect(
      jsonPatch(doc, [
        { op: 'replace', path: '/spec/replicas', value: 3 },
        { op: 'add', path: '/spec/list/-', value: 'b' },
        { op: 'test', path: '/spec/list/0', value: 'a' },
        { op: 'remove', path: '/spec/list/0' },
      ]),
    ).toEqual({ spec: { replicas: 3, list: ['b'] } });
    expect(doc.spec.replicas).toBe(1);
    expect(() => jsonPatch(doc, [{ op: 'test', path: '/spec/replicas', value: 2 }])).toThrow('test operation failed');
  });
});

describe('strategic merge patch', () => {
  const deployment = {
    metadata: { labels: { app: 'web' }, finalizers: ['a', 'b'] },
    spec: {
      template: {
        spec: {
          containers: [
            { name: 'main', image: 'nginx:1', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] },
            { name: 'side', image: 'busybox', args: ['x'] },
          ],
          volumes: [{ name: 'v1', emptyDir: {} }],
        },
      },
    },
  };

  test('containers, env and ports merge by key; atomic lists replace', () => {
    const patched = strategicMergePatch(deployment, {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'main', image: 'nginx:2', env: [{ name: 'B', value: '2' }], ports: [{ containerPort: 443 }] },
              { name: 'side', args: ['y'] },
            ],
          },
        },
      },
    }) as typeof deployment;
    const [main, side] = patched.spec.template.spec.containers;
    expect(main).toEqual({
      name: 'main',
      image: 'nginx:2',
      ports: [{ containerPort: 80 }, { containerPort: 443 }],
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
    });
    expect(side).toEqual({ name: 'side', image: 'busybox', args: ['y'] });
  });

  test('$patch: delete removes an item, $setElementOrder orders, $deleteFromPrimitiveList removes set members', () => {
    const patched = strategicMergePatch(deployment, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'side' }, { name: 'main' }],
            containers: [{ name: 'main', image: 'nginx:3' }],
            volumes: [{ name: 'v1', $patch: 'delete' }],
          },
        },
      },
    }) as typeof deployment;
    expect(patched.metadata.finalizers).toEqual(['b']);
    expect(patched.spec.template.spec.containers.map((c) => c.name)).toEqual(['side', 'main']);
    expect(patched.spec.template.spec.volumes).toEqual([]);
  });

  test('null deletes a key', () => {
    expect(strategicMergePatch({ metadata: { labels: { a: '1', b: '2' } } }, { metadata: { labels: { a: null } } })).toEqual({ metadata: { labels: { b: '2' } } });
  });
});
