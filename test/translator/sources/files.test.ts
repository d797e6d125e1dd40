import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manifestFiles } from '../../../translator/sources/files.js';

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
