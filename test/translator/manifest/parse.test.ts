import { parseDocument } from '../../../translator/manifest/parse.js';
import { A, agentDesired, H, hubDesired, manifest } from './fixtures.js';

describe('parseDocument', () => {
  it('gives a model for a valid manifest', () => {
    const r = parseDocument(manifest(), { template: false });
    expect(r.diagnostics).toEqual([]);
    expect(r.model!.schemaVersion).toBe('1.1');
    expect(r.model!.modules.map((m) => m.name)).toEqual(['web']);
  });

  it('validates schemaVersion 1.0 with the 1.0 schema', () => {
    const agent = agentDesired();
    agent.schemaVersion = '1.0';
    agent.modules.web.extra = 1; // the 1.0 schema allows unknown module properties
    expect(parseDocument(manifest(agent, { schemaVersion: '1.0', routes: {} }), { template: false }).model!.schemaVersion).toBe('1.0');
  });

  it('ignores twin metadata in bare desired properties', () => {
    const r = parseDocument({ ...agentDesired(), $version: 12, $metadata: { $lastUpdated: '2024-01-01' } }, { template: false });
    expect(r.diagnostics).toEqual([]);
    expect(r.model!.modules[0]!.pointer).toBe('/modules/web');
  });

  it('reports 412 before validating a version it does not know', () => {
    const r = parseDocument(manifest({ ...agentDesired(), schemaVersion: '2.0', modules: 'nonsense' }), { template: false });
    expect(r.diagnostics).toEqual([expect.objectContaining({ pointer: `${A}/schemaVersion`, code: 412 })]);
  });

  it('still checks the rest when schemaVersion is missing', () => {
    const agent = agentDesired();
    delete agent.schemaVersion;
    agent.modules.web.status = 'paused';
    const r = parseDocument(manifest(agent), { template: false });
    expect(r.diagnostics.map((d) => [d.pointer, d.code])).toEqual([
      [`${A}/schemaVersion`, 400],
      [`${A}/modules/web/status`, 400],
    ]);
  });

  it('reports $edgeHub problems alongside $edgeAgent ones', () => {
    const agent = agentDesired();
    agent.modules.web.status = 'paused';
    const r = parseDocument(manifest(agent, { ...hubDesired(), routes: [] }), { template: false });
    expect(r.model).toBeUndefined();
    expect(r.diagnostics.map((d) => d.pointer)).toEqual([`${A}/modules/web/status`, `${H}/routes`]);
  });

  it('accepts object createOptions only in template mode', () => {
    const agent = agentDesired();
    agent.modules.web.settings.createOptions = { HostConfig: { Privileged: true } };
    expect(parseDocument(manifest(agent), { template: true }).model!.modules[0]!.createOptions).toEqual({ HostConfig: { Privileged: true } });
    const strict = parseDocument(manifest(agent), { template: false });
    expect(strict.model).toBeUndefined();
    expect(strict.diagnostics[0]!.pointer).toBe(`${A}/modules/web/settings/createOptions`);
  });

  it('keeps warnings with a model', () => {
    const agent = agentDesired();
    agent.modules.web.settings.createOptions = '{"a":';
    agent.modules.web.settings.createOptions01 = '1}';
    const r = parseDocument(manifest(agent), { template: false });
    expect(r.model!.modules[0]!.createOptions).toEqual({ a: 1 });
    expect(r.diagnostics).toEqual([expect.objectContaining({ severity: 'warning', rule: 'create-options-chunk-size' })]);
  });
});
