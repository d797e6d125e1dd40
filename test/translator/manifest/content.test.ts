import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunkCreateOptions, loadManifest, parseManifest } from '../../../translator/manifest/index.js';
import type { DeploymentModel, ModuleModel } from '../../../translator/manifest/model.js';
import { samplePath } from '../../golden/samples.js';

/** A model without the pointers, which differ between a template and the content built from it. */
function meaning(model: DeploymentModel | undefined): unknown {
  if (!model) return undefined;
  // Where the options were read from: the template's objects became text in the content.
  const strip = ({ pointer: _p, createOptionsPointer: _c, createOptionsLength: _l, ...rest }: ModuleModel) => rest;
  return {
    ...model,
    edgeAgent: strip(model.edgeAgent),
    edgeHub: model.edgeHub && strip(model.edgeHub),
    modules: model.modules.map(strip),
    registryCredentials: model.registryCredentials.map(({ pointer: _p, ...rest }) => rest),
  };
}

describe('chunkCreateOptions', () => {
  it('splits into 512-character chunks named createOptions, createOptions01, ...', () => {
    const text = 'x'.repeat(1100);
    const chunks = chunkCreateOptions(text);
    expect(Object.keys(chunks)).toEqual(['createOptions', 'createOptions01', 'createOptions02']);
    expect(chunks['createOptions']).toHaveLength(512);
    expect(chunks['createOptions02']).toHaveLength(76);
    expect(Object.values(chunks).join('')).toBe(text);
  });

  it('keeps a short text in one createOptions', () => {
    expect(chunkCreateOptions('{}')).toEqual({ createOptions: '{}' });
  });
});

describe('deployment content of a loaded file', () => {
  it('resolves a template into content IoT Hub accepts, meaning the same deployment', async () => {
    const loaded = await loadManifest(samplePath('template/deployment.template.json'), { env: {} });
    expect(loaded.model).toBeDefined();
    const content = loaded.content!;
    // Built on first read, then the same object.
    expect(loaded.content).toBe(content);
    expect(Object.keys(loaded)).toContain('content');
    expect(JSON.stringify(content)).not.toMatch(/\$\{|\$CONTAINER_/);
    const webapp = (content.modulesContent['$edgeAgent']!['properties.desired'] as any).modules.webapp; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(typeof webapp.settings.createOptions).toBe('string');
    expect(webapp.settings.image).toBe('contoso.azurecr.io/webapp:0.1.0-amd64');
    const reparsed = parseManifest(content);
    expect(reparsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(meaning(reparsed.model)).toEqual(meaning(loaded.model));
  });

  it('merges layers into the content', async () => {
    const loaded = await loadManifest(samplePath('layered/base.json'), { env: {}, layers: [samplePath(join('layered', 'monitoring.layer.json'))] });
    const reparsed = parseManifest(loaded.content);
    expect(reparsed.model?.modules.map((m) => m.name)).toEqual(['metricscollector', 'webserverapp']);
    expect(reparsed.model?.edgeHubDesired?.routes.map((r) => r.name).sort()).toEqual(['metricsToIoTHub', 'upstream']);
  });

  it('has no content when the manifest is invalid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'content-'));
    const doc = JSON.parse(readFileSync(samplePath('webserver.json'), 'utf8'));
    doc.modulesContent.$edgeAgent['properties.desired'].modules.webserverapp.restartPolicy = 'sometimes';
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(doc));
    const loaded = await loadManifest(join(dir, 'bad.json'), { env: {} });
    expect(loaded.model).toBeUndefined();
    expect(loaded.content).toBeUndefined();
  });
});
