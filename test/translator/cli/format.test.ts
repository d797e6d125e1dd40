import { jest } from '@jest/globals';
import { parse } from 'yaml';
import { isAmbiguousPlainScalar, toYaml } from '../../../translator/cli/format.js';

describe('toYaml', () => {
  const tricky = ['Y', 'n', 'yes', 'Off', 'ON', '~', 'null', 'NULL', '1_000', '0x1F', '012', '0o7', '0b1', '1e3', '.inf', '-.Inf', '.NaN', '1:20', '2001-12-14', '+1', '.5', '1.'];

  it.each(tricky)('quotes %p, which YAML 1.1 would not read as a string', (value) => {
    expect(isAmbiguousPlainScalar(value)).toBe(true);
    const text = toYaml([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { [value === '' ? 'e' : value]: value } }]);
    const back = parse(text, { version: '1.1' }) as { data: Record<string, unknown> };
    expect(back.data).toEqual({ [value]: value });
  });

  it.each(['nginx', 'tcp-80', 'LoadBalancer', 'mcr.microsoft.com/oss/nginx/nginx:1.15.5-alpine', 'Yes please', '500m', '1Gi'])('leaves %p plain', (value) => {
    expect(isAmbiguousPlainScalar(value)).toBe(false);
  });

  it.each(['!tag', '!!binary abc', '&a', '*a', '%YAML 1.1'])('writes %p without a process warning on stderr, and reads it back', (value) => {
    const emitWarning = jest.spyOn(process, 'emitWarning');
    try {
      const text = toYaml([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { v: value } }]);
      expect(emitWarning).not.toHaveBeenCalled();
      expect((parse(text, { version: '1.1' }) as { data: unknown }).data).toEqual({ v: value });
    } finally {
      emitWarning.mockRestore();
    }
  });
});
