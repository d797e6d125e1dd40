import { checkSchemaVersion } from '../../../translator/manifest/schema-version.js';

const agent = (v: unknown) => checkSchemaVersion(v, '/d', '$edgeAgent', ['1.0', '1.1'] as const);

describe('checkSchemaVersion', () => {
  it.each([
    ['1.0', '1.0'],
    ['1.1', '1.1'],
    ['1.1.0', '1.1'],
    [' 1.0 ', '1.0'],
  ])('accepts %j as %s', (input, version) => {
    expect(agent(input)).toEqual({ ok: true, version });
  });

  it.each([
    ['2.0', 412, 'the major version must be 1'],
    ['0.9', 412, 'the major version must be 1'],
    ['1.2', 412, 'the newest supported $edgeAgent schema version is 1.1'],
    ['one', 412, 'is not a version number'],
    [1.1, 400, 'must be a string'],
    [undefined, 400, "missing required property 'schemaVersion'"],
  ])('rejects %j with %i', (input, code, text) => {
    const r = agent(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.diagnostic).toMatchObject({ pointer: '/d/schemaVersion', code });
      expect(r.diagnostic.message).toContain(text);
    }
  });

  it('allows $edgeHub up to 1.2', () => {
    expect(checkSchemaVersion('1.2', '', '$edgeHub', ['1.0', '1.1', '1.2'] as const)).toEqual({ ok: true, version: '1.2' });
    expect(checkSchemaVersion('1.3', '', '$edgeHub', ['1.0', '1.1', '1.2'] as const).ok).toBe(false);
  });
});
