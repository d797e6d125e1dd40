import { describe, expect, it } from '@jest/globals';
import { APPLIED_HASH_ANNOTATION, changeReason, isContainedIn, objectHash, quantityValue, stableJson, withHashAnnotation } from '../../../translator/reconcile/compare.js';
import type { KubeObject } from '../../../translator/translate/index.js';

const deployment = (image: string, env: Array<{ name: string; value: string }> = []): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'ns', labels: { a: '1' } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'web', image, env }] } } },
});

/** What a server returns: defaults added, status, server metadata. */
const served = (object: KubeObject): KubeObject => {
  const copy = structuredClone(object) as KubeObject & { spec: { template: { spec: Record<string, unknown> } } };
  copy.metadata.uid = 'u-1';
  copy.metadata.resourceVersion = '42';
  copy.metadata.creationTimestamp = new Date('2026-01-01T00:00:00Z');
  copy.spec.template.spec.restartPolicy = 'Always';
  (copy.spec.template.spec.containers as Array<Record<string, unknown>>)[0]!.terminationMessagePath = '/dev/termination-log';
  copy.status = { replicas: 1 };
  return copy;
};

describe('stableJson and objectHash', () => {
  it('ignore key order but not values', () => {
    expect(stableJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    expect(objectHash(deployment('x:1'))).toBe(objectHash(JSON.parse(JSON.stringify(deployment('x:1'))) as KubeObject));
    expect(objectHash(deployment('x:1'))).not.toBe(objectHash(deployment('x:2')));
  });

  it('keep the text and hashes that earlier versions stored in the cluster', () => {
    // Pinned from the implementation before the one-pass rewrite: a changed text would change
    // every applied-hash annotation, and the bridge would rewrite every object once.
    const value = { z: [1, undefined, 'é', { y: null, b: undefined, B: 2, 'a-b': { '\u00e9': 1, e: 2, é2: [true] } }], A: 'x"y\\', m: { '10': 1, '9': 2, '': 0 } };
    expect(stableJson(value)).toBe('{"A":"x\\"y\\\\","m":{"":0,"10":1,"9":2},"z":[1,null,"é",{"B":2,"a-b":{"e":2,"é":1,"é2":[true]},"y":null}]}');
    const object = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'm', namespace: 'n', labels: { b: '1', a: '2' }, annotations: { [APPLIED_HASH_ANNOTATION]: 'old', z: 'é' } },
      spec: { replicas: 1, template: { spec: { containers: [{ name: 'm', image: 'i:1', env: [{ name: 'A', value: '1' }] }] } } },
    } as KubeObject;
    expect(objectHash(object)).toBe('3248e9462170d8a5');
  });

  it('write what the original entries-sort-join implementation wrote, for values in and out of order', () => {
    // The implementation before the one-pass rewrite and its JSON.stringify fast path, as the oracle.
    const reference = (value: unknown): string => {
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      if (value !== null && typeof value === 'object') {
        const entries = Object.entries(value as Record<string, unknown>)
          .filter(([, v]) => v !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
      }
      return JSON.stringify(value) ?? 'null';
    };
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const keys = ['a', 'b', 'B', 'z', '', '9', '10', 'é', 'e\u0301', 'name', 'toJSON', 'x"y'];
    const make = (depth: number): unknown => {
      const roll = random();
      if (depth > 3 || roll < 0.35) return pick([0, -1.5, 1e21, 'text', 'é"\\\n', true, false, null, undefined, () => 1]);
      if (roll < 0.5) return Array.from({ length: Math.floor(random() * 4) }, () => make(depth + 1));
      if (roll < 0.55) return new Date(0);
      const members = Array.from({ length: Math.floor(random() * 5) }, () => pick(keys));
      if (random() < 0.6) members.sort(); // in order: the JSON.stringify path
      const object: Record<string, unknown> = random() < 0.1 ? Object.create(null) : {};
      for (const key of members) object[key] = make(depth + 1);
      return object;
    };
    let compared = 0;
    for (let i = 0; i < 3000; i++) {
      const value = make(0);
      expect(stableJson(value)).toBe(reference(value));
      compared++;
    }
    expect(compared).toBe(3000);
  });

  it('do not depend on an existing hash annotation', () => {
    const annotated = withHashAnnotation(deployment('x:1'));
    expect(annotated.metadata.annotations?.[APPLIED_HASH_ANNOTATION]).toBe(objectHash(deployment('x:1')));
    expect(objectHash(annotated)).toBe(objectHash(deployment('x:1')));
  });
});

describe('isContainedIn', () => {
  it('accepts server defaults and extra metadata', () => {
    const want = deployment('x:1');
    expect(isContainedIn(want, served(want))).toBe(true);
  });

  it('detects an edited value and a removed field', () => {
    const live = served(deployment('x:1'));
    expect(isContainedIn(deployment('x:2'), live)).toBe(false);
    delete (live.metadata.labels as Record<string, string>).a;
    expect(isContainedIn(deployment('x:1'), live)).toBe(false);
  });

  it('matches named list items by name and tolerates items another manager added', () => {
    const want = deployment('x:1', [{ name: 'A', value: '1' }]);
    const live = served(deployment('x:1', [{ name: 'B', value: 'theirs' }, { name: 'A', value: '1' }]));
    expect(isContainedIn(want, live)).toBe(true);
    expect(isContainedIn(deployment('x:1', [{ name: 'A', value: '2' }]), live)).toBe(false);
  });

  it('treats unnamed lists as atomic', () => {
    expect(isContainedIn({ args: ['a', 'b'] }, { args: ['a', 'b'] })).toBe(true);
    expect(isContainedIn({ args: ['a'] }, { args: ['a', 'b'] })).toBe(false);
    expect(isContainedIn({ args: ['b', 'a'] }, { args: ['a', 'b'] })).toBe(false);
  });
});

describe('changeReason', () => {
  const applied = withHashAnnotation(deployment('x:1'));
  it('is undefined for an up-to-date object', () => {
    expect(changeReason(applied, served(applied))).toBeUndefined();
  });
  it('says missing, changed or drifted', () => {
    expect(changeReason(applied, undefined)).toBe('missing');
    expect(changeReason(withHashAnnotation(deployment('x:2')), served(applied))).toBe('changed');
    const edited = served(applied) as KubeObject & { spec: { replicas: number } };
    edited.spec.replicas = 3;
    expect(changeReason(applied, edited)).toBe('drifted');
  });
});

describe('quantities', () => {
  it('parses Kubernetes quantities', () => {
    expect(['500m', '0.5', '1Gi', '1024Mi', '2e3', '2k', 'abc', '1Gb'].map(quantityValue)).toEqual([0.5, 0.5, 2 ** 30, 2 ** 30, 2000, 2000, undefined, undefined]);
  });

  it('compares resource quantities by value, as the server rewrites them, and nothing else', () => {
    const want = { resources: { limits: { cpu: '0.5', memory: '1Gi' }, requests: { storage: '1024Mi' } }, emptyDir: { sizeLimit: '1Gi' } };
    const have = { resources: { limits: { cpu: '500m', memory: '1024Mi' }, requests: { storage: '1Gi' } }, emptyDir: { sizeLimit: '1073741824' } };
    expect(isContainedIn(want, have)).toBe(true);
    expect(isContainedIn({ resources: { limits: { cpu: '1' } } }, { resources: { limits: { cpu: '500m' } } })).toBe(false);
    expect(isContainedIn({ labels: { size: '1k' } }, { labels: { size: '1000' } })).toBe(false);
  });
});
