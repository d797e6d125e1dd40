import { PointerMap } from '../../../translator/manifest/pointer-map.js';

describe('PointerMap', () => {
  it('maps by the longest matching prefix at token boundaries', () => {
    const map = new PointerMap();
    map.add('/a/b', '/x', 'layer.json');
    map.add('/a/b/c', '/y');
    expect(map.map('/a/b/d')).toEqual({ pointer: '/x/d', note: 'layer.json' });
    expect(map.map('/a/b/c/e')).toEqual({ pointer: '/y/e' });
    expect(map.map('/a/bc')).toEqual({ pointer: '/a/bc' });
  });

  it('lets a later entry replace the entries it covers', () => {
    const map = new PointerMap();
    map.add('/m/x/settings', '/low', 'low');
    map.add('/m/x', '/high', 'high');
    expect(map.map('/m/x/settings/image')).toEqual({ pointer: '/high/settings/image', note: 'high' });
    expect(map.size).toBe(1);
  });
});
