import { detectForm } from '../../../translator/manifest/forms.js';
import { mergeLayers, readLayer } from '../../../translator/manifest/layers.js';
import { A, manifest } from './fixtures.js';

const module = (image: string) => ({ type: 'docker', status: 'running', restartPolicy: 'always', settings: { image } });

describe('readLayer', () => {
  it('reads priority and path entries from the configuration form', () => {
    const layer = readLayer(
      { priority: 7, content: { modulesContent: { $edgeAgent: { 'properties.desired.modules.x': module('x:1') }, $edgeHub: { 'properties.desired.routes.r': 'FROM /* INTO $upstream' } } } },
      'l.json',
    );
    expect(layer.priority).toBe(7);
    expect(layer.entries.map((e) => [e.twin, e.path, e.pointer])).toEqual([
      ['$edgeAgent', ['modules', 'x'], '/content/modulesContent/$edgeAgent/properties.desired.modules.x'],
      ['$edgeHub', ['routes', 'r'], '/content/modulesContent/$edgeHub/properties.desired.routes.r'],
    ]);
    expect(layer.diagnostics).toEqual([]);
  });

  it.each([
    [[], '', 'a layer must be a JSON object, not an array'],
    [{ priority: -1, modulesContent: {} }, '/priority', 'priority must be a non-negative integer, not -1'],
    [{ priority: 'high', modulesContent: {} }, '/priority', "priority must be a non-negative integer, not 'high'"],
    [{ content: { other: 1 } }, '/content/modulesContent', "a layer must hold 'modulesContent'"],
    [{ modulesContent: { $edgeAgent: { modules: {} } } }, '/modulesContent/$edgeAgent/modules', "'modules' is not a layered deployment path"],
    [{ modulesContent: { $edgeAgent: { 'properties.desired..x': {} } } }, '/modulesContent/$edgeAgent/properties.desired..x', 'not a layered deployment path'],
    [{ modulesContent: { $edgeAgent: 3 } }, '/modulesContent/$edgeAgent', "'$edgeAgent' must be an object"],
  ])('rejects %j at %j', (doc, pointer, text) => {
    const [d] = readLayer(doc, 'l.json').diagnostics;
    expect(d).toMatchObject({ pointer, code: 400 });
    expect(d!.message).toContain(text);
    expect(d!.message).toContain('(in layer l.json)');
  });
});

describe('mergeLayers', () => {
  const layer = (label: string, priority: number | undefined, entries: Record<string, Record<string, unknown>>) =>
    readLayer({ ...(priority === undefined ? {} : { priority }), modulesContent: entries }, label);

  it('applies layers by ascending priority, the order given breaking ties, without touching the base', () => {
    const base = detectForm(manifest());
    const before = JSON.stringify(base.agent!.value);
    const merged = mergeLayers(base, [
      layer('high', 9, { $edgeAgent: { 'properties.desired.modules.web': module('web:high') } }),
      layer('first', undefined, { $edgeAgent: { 'properties.desired.modules.web': module('web:first'), 'properties.desired.modules.extra': module('extra:1') } }),
      layer('second', undefined, { $edgeAgent: { 'properties.desired.modules.web': module('web:second') } }),
    ]);
    const modules = (merged.parts.agent!.value as { modules: Record<string, { settings: { image: string } }> }).modules;
    expect(modules['web']!.settings.image).toBe('web:high');
    expect(modules['extra']!.settings.image).toBe('extra:1');
    expect(JSON.stringify(base.agent!.value)).toBe(before);
    expect(merged.origins.map(`${A}/modules/web/settings/image`)).toEqual({ pointer: '/modulesContent/$edgeAgent/properties.desired.modules.web/settings/image', note: 'high' });
    expect(merged.origins.map(`${A}/modules/extra`)).toEqual({ pointer: '/modulesContent/$edgeAgent/properties.desired.modules.extra', note: 'first' });
    expect(merged.origins.map(`${A}/runtime`)).toEqual({ pointer: `${A}/runtime` });
  });

  it('adds routes and module twins that the base lacks', () => {
    const merged = mergeLayers(detectForm(manifest()), [
      layer('l', 1, { $edgeHub: { 'properties.desired.routes.extra': 'FROM /x INTO $upstream' }, web: { 'properties.desired.interval': 5 } }),
    ]);
    expect((merged.parts.hub!.value as { routes: Record<string, unknown> }).routes['extra']).toBe('FROM /x INTO $upstream');
    expect(merged.parts.twins.get('web')).toEqual({ value: { interval: 5 }, pointer: '/modulesContent/web/properties.desired' });
  });
});
