import { describe, expect, test } from '@jest/globals';
import { KubeApiError } from '../../../sandbox/kube/errors.js';
import {
  checkFieldSelector,
  labelSelectorRequirements,
  matchFields,
  matchLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '../../../sandbox/kube/selectors.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', empty: '' };
  test.each([
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (web, db)', true],
    ['app in (db)', false],
    ['app notin (db)', true],
    ['missing notin (db)', true],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['empty=', true],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    ['tier in (front,back),!missing,app', true],
    ['', true],
  ])('%s -> %s', (selector, expected) => {
    expect(matchLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  test.each(['app=web=x', 'a in b', '=x', 'a in (b'])('rejects %s with 400', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(KubeApiError);
    try {
      parseLabelSelector(selector);
    } catch (error) {
      expect((error as KubeApiError).code).toBe(400);
    }
  });

  test('LabelSelector objects with matchLabels and matchExpressions', () => {
    const reqs = labelSelectorRequirements({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front'] },
        { key: 'gone', operator: 'DoesNotExist' },
      ],
    });
    expect(matchLabels(reqs, { app: 'web', tier: 'front' })).toBe(true);
    expect(matchLabels(reqs, { app: 'web', tier: 'front', gone: 'x' })).toBe(false);
    expect(matchLabels(reqs, { app: 'web' })).toBe(false);
  });
});

describe('field selectors', () => {
  const pod = { metadata: { name: 'p', namespace: 'ns' }, status: { phase: 'Running' } };
  const event = { metadata: { name: 'e', namespace: 'ns' }, involvedObject: { kind: 'Pod', name: 'p' }, source: { component: 'kubelet' } };

  test('metadata and status fields', () => {
    expect(matchFields(parseFieldSelector('metadata.name=p,metadata.namespace==ns'), pod)).toBe(true);
    expect(matchFields(parseFieldSelector('status.phase!=Running'), pod)).toBe(false);
    expect(matchFields(parseFieldSelector('status.phase=Running'), pod)).toBe(true);
  });

  test('involvedObject fields and source for events', () => {
    expect(matchFields(parseFieldSelector('involvedObject.kind=Pod,involvedObject.name=p,source=kubelet'), event)).toBe(true);
    expect(matchFields(parseFieldSelector('involvedObject.name=q'), event)).toBe(false);
  });

  test('fields a kind does not support are rejected like the real server', () => {
    expect(() => checkFieldSelector('ConfigMap', parseFieldSelector('status.phase=Running'))).toThrow('field label not supported: status.phase');
    expect(() => checkFieldSelector('Pod', parseFieldSelector('status.phase=Running'))).not.toThrow();
    expect(() => checkFieldSelector('Event', parseFieldSelector('involvedObject.uid=1'))).not.toThrow();
    expect(() => parseFieldSelector('nonsense')).toThrow(KubeApiError);
  });
});
