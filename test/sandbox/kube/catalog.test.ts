/** The image catalog's `process` entries and the repository's module images. */
import { join } from 'node:path';
import { expect, test } from '@jest/globals';
import { CatalogError, ImageCatalog } from '../../../sandbox/kube/index.js';
import { findModuleImages, moduleProcessImages, REPOSITORY_ROOT } from '../../../sandbox/kube/modules.js';

test('process entries are parsed and checked field by field', () => {
  const catalog = ImageCatalog.fromJson({ tool: { kind: 'process', command: ['python3', '-m', 'http.server'], args: ['8000'], cwd: 'www', env: { A: 'b' }, node: false } });
  expect(catalog.behaviourOf('tool:1')).toEqual({ kind: 'process', command: ['python3', '-m', 'http.server'], args: ['8000'], cwd: 'www', env: { A: 'b' }, node: false });
  const bad = (entry: unknown) => () => ImageCatalog.fromJson({ x: entry });
  expect(bad({ kind: 'process' })).toThrow(new CatalogError('catalog entry "x": "command" must be a non-empty array of strings'));
  expect(bad({ kind: 'process', command: ['a'], args: [1] })).toThrow('catalog entry "x": "args" must be an array of strings');
  expect(bad({ kind: 'process', command: ['a'], cwd: '' })).toThrow('catalog entry "x": "cwd" must be a non-empty string');
  expect(bad({ kind: 'process', command: ['a'], env: { A: 1 } })).toThrow('catalog entry "x": "env" must map names to strings');
  expect(bad({ kind: 'process', command: ['a'], node: 'yes' })).toThrow('catalog entry "x": "node" must be true or false');
  expect(bad({ kind: 'spawn' })).toThrow('unknown kind "spawn" (expected run, exit, crash, pull-fail or process)');
});

test('the repository modules are process images under any tag; catalog entries win over them', () => {
  const modules = findModuleImages();
  expect(modules).toEqual([
    { name: 'telemetry', repository: 'localhost:5000/telemetry', entry: join(REPOSITORY_ROOT, 'modules/telemetry/src/main.ts') },
    { name: 'webserver', repository: 'localhost:5000/webserver', entry: join(REPOSITORY_ROOT, 'modules/webserver/src/main.ts') },
  ]);
  const catalog = new ImageCatalog({ 'localhost:5000/telemetry:9': { kind: 'crash', code: 1, afterMs: 0 } });
  catalog.addModuleImages(moduleProcessImages());
  expect(catalog.behaviourOf('localhost:5000/webserver:0.1.0-arm64v8')).toEqual({ kind: 'process', command: [modules[1]!.entry], node: true });
  expect(catalog.behaviourOf('localhost:5000/webserver')).toMatchObject({ kind: 'process' });
  expect(catalog.behaviourOf('localhost:5000/telemetry:9')).toEqual({ kind: 'crash', code: 1, afterMs: 0 });
  expect(catalog.behaviourOf('localhost:5000/telemetry:1')).toMatchObject({ kind: 'process' });
  expect(catalog.behaviourOf('other.example/webserver:1')).toEqual({ kind: 'run' });
  expect(findModuleImages('/nonexistent')).toEqual([]);
});
