import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SILENT_LOGGER } from '../../../translator/ops/index.js';
import { FilesSource, manifestFiles } from '../../../translator/sources/files.js';
import type { ReportedDocument } from '../../../translator/status/index.js';
import { deploymentManifest, dockerModule } from '../../support/manifest.js';
import { waitFor } from '../../support/wait.js';

function folder(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'manifest-files-'));
  for (const f of files) writeFileSync(join(dir, f), '{}');
  return dir;
}

describe('manifestFiles', () => {
  it('takes a file as the base, with the layers given', async () => {
    const dir = folder(['a.json']);
    await expect(manifestFiles(join(dir, 'a.json'), ['l.json'])).resolves.toEqual({ base: join(dir, 'a.json'), layers: ['l.json'] });
  });

  it('finds the base of a folder by name, and its *.layer.json layers', async () => {
    const dir = folder(['deployment.template.json', 'notes.json', 'b.layer.json', 'a.layer.json']);
    await expect(manifestFiles(dir)).resolves.toEqual({
      base: join(dir, 'deployment.template.json'),
      layers: [join(dir, 'a.layer.json'), join(dir, 'b.layer.json')],
    });
  });

  it('takes the only manifest of a folder whatever its name', async () => {
    const dir = folder(['site.json']);
    await expect(manifestFiles(dir)).resolves.toEqual({ base: join(dir, 'site.json'), layers: [] });
  });

  it('explains a folder with no manifest, several, or a path that does not exist', async () => {
    await expect(manifestFiles(folder([]))).rejects.toThrow(/holds no deployment manifest/);
    await expect(manifestFiles(folder(['a.json', 'b.json']))).rejects.toThrow(/several manifests \(a\.json, b\.json\)/);
    await expect(manifestFiles('/nonexistent/deployment.json')).rejects.toThrow(/no such file or folder/);
  });
});

describe('FilesSource', () => {
  it('delivers the file as version 1, a save as version 2, and writes each report to the status file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'files-source-'));
    const base = join(dir, 'deployment.json');
    writeFileSync(base, JSON.stringify(deploymentManifest({ modules: { web: dockerModule('nginx:1.27') } })));
    const statusFile = join(dir, 'status.json');
    const source = new FilesSource({ files: { base, layers: [] }, device: { deviceId: 'dev', hubHostname: 'hub' }, statusFile, logger: SILENT_LOGGER, watch: { debounceMs: 20 } });
    const seen: { version: number; modules: string[] }[] = [];
    const sub = source.desired$.subscribe((input) => seen.push({ version: input.version, modules: (input.manifest.model?.modules ?? []).filter((m) => !m.system).map((m) => m.name) }));
    try {
      await source.start();
      await waitFor('version 1', () => (seen.length >= 1 ? true : undefined));
      writeFileSync(base, JSON.stringify(deploymentManifest({ modules: { web: dockerModule('nginx:1.27'), api: dockerModule('api:1') } })));
      await waitFor('version 2', () => (seen.length >= 2 ? true : undefined));
      expect(seen).toEqual([
        { version: 1, modules: ['web'] },
        { version: 2, modules: ['api', 'web'] },
      ]);
      expect(source.device).toEqual({ deviceId: 'dev', hubHostname: 'hub' });
      source.report({ lastDesiredVersion: 2 } as unknown as ReportedDocument);
      const written = await waitFor('status file', () => (existsSync(statusFile) && readFileSync(statusFile, 'utf8').endsWith('\n') ? readFileSync(statusFile, 'utf8') : undefined));
      expect(JSON.parse(written)).toEqual({ lastDesiredVersion: 2 });
    } finally {
      sub.unsubscribe();
      await source.stop();
    }
  });

  it('writes reports in order, whole: a reader never sees half a document, and the newest one stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'files-source-'));
    const statusFile = join(dir, 'status.json');
    const source = new FilesSource({ files: { base: join(dir, 'none.json'), layers: [] }, device: { deviceId: 'dev', hubHostname: 'hub' }, statusFile, logger: SILENT_LOGGER });
    const big = { modules: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`module${i}`, { runtimeStatus: 'running', description: 'x'.repeat(40) }])) };
    const torn: string[] = [];
    let reading = true;
    const reader = (async () => {
      while (reading) {
        if (existsSync(statusFile)) {
          const text = readFileSync(statusFile, 'utf8');
          try {
            JSON.parse(text);
          } catch {
            torn.push(text.slice(-40));
          }
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let v = 1; v <= 200; v++) {
      source.report({ lastDesiredVersion: v, ...big } as unknown as ReportedDocument);
      if (v % 10 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await source.stop();
    reading = false;
    await reader;
    expect(torn).toEqual([]);
    expect(JSON.parse(readFileSync(statusFile, 'utf8')).lastDesiredVersion).toBe(200);
  });
});
