import { moduleImage, readModuleJson } from '../../../translator/manifest/module-json.js';
import { FIXTURES } from './fixtures.js';

const dir = FIXTURES + 'template';

describe('readModuleJson', () => {
  it('reads repository, version and platforms, resolving ${VAR} in them', async () => {
    const m = await readModuleJson(dir, 'filtermodule', { CONTAINER_REGISTRY_ADDRESS: 'contoso.azurecr.io' });
    expect(m).toEqual({ ok: true, info: { repository: 'contoso.azurecr.io/FilterModule', version: '0.0.3', platforms: ['amd64', 'amd64.debug', 'arm32v7'] } });
  });

  it('explains a missing variable, a missing file and invalid JSON', async () => {
    expect(await readModuleJson(dir, 'filtermodule', {})).toEqual({
      ok: false,
      problem: 'modules/filtermodule/module.json: image.repository uses ${CONTAINER_REGISTRY_ADDRESS}, which is not set in the environment or in .env',
    });
    expect(await readModuleJson(dir, 'nothere', {})).toEqual({ ok: false, problem: "modules/nothere/module.json not found (no module 'nothere' beside the template)" });
    const bad = await readModuleJson(FIXTURES + 'module-json', 'broken', {});
    expect(bad).toEqual({ ok: false, problem: expect.stringContaining('modules/broken/module.json is not valid JSON: ') });
    expect(await readModuleJson(FIXTURES + 'module-json', 'noplatforms', {})).toEqual({ ok: false, problem: 'modules/noplatforms/module.json has no image.tag.platforms' });
  });
});

describe('moduleImage', () => {
  const info = { ok: true as const, info: { repository: 'Reg.io/Filter', version: '1.0', platforms: ['amd64', 'amd64.debug', 'arm32v7'] } };

  it('builds <repository lowercased>:<version>-<platform>, amd64 by default', () => {
    expect(moduleImage('f', info, undefined)).toEqual({ image: 'reg.io/filter:1.0-amd64' });
    expect(moduleImage('f', info, 'arm32v7')).toEqual({ image: 'reg.io/filter:1.0-arm32v7' });
    expect(moduleImage('f', info, 'debug')).toEqual({ image: 'reg.io/filter:1.0-amd64.debug' });
    expect(moduleImage('f', info, undefined, 'ci42')).toEqual({ image: 'reg.io/filter:1.0-ci42-amd64' });
  });

  it('names the available platforms when one is missing', () => {
    expect(moduleImage('f', info, 'arm64v8')).toEqual({ problem: "modules/f/module.json has no platform 'arm64v8' (available: amd64, amd64.debug, arm32v7)" });
  });
});
