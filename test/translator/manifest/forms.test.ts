import { detectForm, isLayeredKey } from '../../../translator/manifest/forms.js';
import { A, agentDesired, hubDesired, manifest } from './fixtures.js';

describe('detectForm', () => {
  it('finds desired properties in {modulesContent}', () => {
    const parts = detectForm(manifest());
    expect(parts.agent?.pointer).toBe(A);
    expect(parts.hub?.pointer).toBe('/modulesContent/$edgeHub/properties.desired');
    expect(parts.diagnostics).toEqual([]);
  });

  it('finds desired properties in {content: {modulesContent}} and ignores configuration keys', () => {
    const parts = detectForm({ id: 'dep', priority: 3, targetCondition: "tags.site='x'", content: manifest() });
    expect(parts.agent?.pointer).toBe('/content/modulesContent/$edgeAgent/properties.desired');
    expect(parts.diagnostics).toEqual([]);
  });

  it('accepts bare $edgeAgent desired properties', () => {
    const parts = detectForm({ ...agentDesired(), $version: 4 });
    expect(parts.agent?.pointer).toBe('');
  });

  it('accepts a pair of bare desired properties', () => {
    const parts = detectForm({ $edgeAgent: agentDesired(), $edgeHub: hubDesired() });
    expect(parts.agent?.pointer).toBe('/$edgeAgent');
    expect(parts.hub?.pointer).toBe('/$edgeHub');
  });

  it('treats a root with $edgeAgent.properties.desired as modulesContent', () => {
    const parts = detectForm(manifest().modulesContent);
    expect(parts.agent?.pointer).toBe('/$edgeAgent/properties.desired');
  });

  it('collects other module twins', () => {
    const doc = manifest();
    doc.modulesContent.web = { 'properties.desired': { interval: 5 } };
    expect([...detectForm(doc).twins.entries()]).toEqual([['web', { value: { interval: 5 }, pointer: '/modulesContent/web/properties.desired' }]]);
  });

  it('recognizes layered content', () => {
    const parts = detectForm({ modulesContent: { $edgeAgent: { 'properties.desired.modules.x': {} } } });
    expect(parts.layeredAt).toBe('/modulesContent/$edgeAgent/properties.desired.modules.x');
    expect(isLayeredKey('properties.desired.routes.r')).toBe(true);
    expect(isLayeredKey('properties.desired')).toBe(false);
  });

  it('warns about unknown top-level keys', () => {
    const parts = detectForm({ ...manifest(), note: 'x' });
    expect(parts.diagnostics).toEqual([expect.objectContaining({ pointer: '/note', severity: 'warning' })]);
  });

  it.each([
    [[], ''],
    ['text', ''],
    [{ content: 5 }, '/content'],
    [{ modulesContent: [] }, '/modulesContent'],
    [{ hello: 1 }, ''],
    [{ modulesContent: { web: 5 } }, '/modulesContent/web'],
    [{ modulesContent: { $edgeAgent: { 'properties.desired': {}, extra: 1 } } }, '/modulesContent/$edgeAgent/extra'],
    [{ $edgeAgent: agentDesired(), other: 1 }, '/other'],
  ])('reports a malformed document %j at %j', (doc, pointer) => {
    const parts = detectForm(doc);
    expect(parts.diagnostics[0]).toMatchObject({ pointer, code: 400, severity: 'error' });
  });
});
