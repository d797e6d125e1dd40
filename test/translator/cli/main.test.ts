import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { main, type Io } from '../../../translator/cli/main.js';
import { repoRoot, samplePath } from '../../golden/samples.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (t) => (out += t), stderr: (t) => (err += t) };
  const code = await main(argv, io);
  return { code, out, err };
}

const tmp = mkdtempSync(join(tmpdir(), 'iotedge-k8s-cli-'));
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests poke at arbitrary manifest JSON
type Json = any;

function writeManifest(name: string, mutate: (desired: Json) => void): string {
  const doc = JSON.parse(readFileSync(samplePath('webserver.json'), 'utf8'));
  mutate(doc.modulesContent.$edgeAgent['properties.desired']);
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

const modulesPointer = '/modulesContent/$edgeAgent/properties.desired/modules';

describe('iotedge-k8s validate', () => {
  it('exits 0 for a valid manifest and says so', async () => {
    const r = await run('validate', samplePath('webserver.json'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/valid \(1 modules, \d+ objects\)/);
  });

  it('reports a bad module name at its own pointer with code 400', async () => {
    const file = writeManifest('dotted.json', (d) => {
      d.modules['web.server'] = d.modules.webserverapp;
    });
    const r = await run('validate', file);
    expect(r.code).toBe(1);
    const line = r.out.split('\n').find((l) => l.includes(`${modulesPointer}/web.server:`));
    expect(line).toMatch(/^error 400 /);
  });

  it('maps an unsupported schemaVersion to 412', async () => {
    const file = writeManifest('v2.json', (d) => {
      d.schemaVersion = '2.0';
    });
    const r = await run('validate', file);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^error 412 \/modulesContent\/\$edgeAgent\/properties\.desired\/schemaVersion: /m);
  });

  it('prints machine-readable diagnostics with --json', async () => {
    const file = writeManifest('badpolicy.json', (d) => {
      d.modules.webserverapp.restartPolicy = 'sometimes';
    });
    const r = await run('validate', file, '--json');
    expect(r.code).toBe(1);
    const parsed = JSON.parse(r.out) as { valid: boolean; diagnostics: { pointer: string; code: number; severity: string }[] };
    expect(parsed.valid).toBe(false);
    expect(parsed.diagnostics).toContainEqual(
      expect.objectContaining({ pointer: `${modulesPointer}/webserverapp/restartPolicy`, code: 400, severity: 'error' }),
    );
  });

  it('reports a file that does not exist without a stack trace', async () => {
    const r = await run('validate', join(tmp, 'missing.json'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: .*missing\.json/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('reports invalid JSON with code 400', async () => {
    const path = join(tmp, 'broken.json');
    writeFileSync(path, '{"modulesContent": {');
    const r = await run('validate', path);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^error 400 /m);
  });
});

describe('iotedge-k8s translate', () => {
  it('prints multi-document YAML with the options applied', async () => {
    const r = await run('translate', samplePath('webserver.json'), '--namespace', 'site-a', '--device-id', 'dev1', '--hub', 'h.azure-devices.net');
    expect(r.code).toBe(0);
    const objects = parseAllDocuments(r.out).map((d) => d.toJS());
    expect(objects[0]).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'site-a' } });
    expect(objects.slice(1).every((o) => o.metadata.namespace === 'site-a')).toBe(true);
    const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'webserverapp-published');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.ports).toEqual([expect.objectContaining({ port: 8080, targetPort: 80, protocol: 'TCP' })]);
    expect(svc.metadata.labels['net.azure-devices.edge.deviceid']).toBe('dev1');
  });

  it('prints a v1 List with --output json', async () => {
    const r = await run('translate', samplePath('webserver.json'), '--output', 'json', '--service-type', 'ClusterIP');
    expect(r.code).toBe(0);
    const list = JSON.parse(r.out);
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    const svc = list.items.find((o: Json) => o.kind === 'Service' && o.metadata.name === 'webserverapp-published');
    expect(svc.spec.type).toBe('ClusterIP');
  });

  it('merges a layered deployment given with --layer', async () => {
    const r = await run('translate', samplePath('layered/base.json'), '--layer', samplePath('layered/monitoring.layer.json'), '-o', 'json');
    expect(r.code).toBe(0);
    const names = JSON.parse(r.out).items.filter((o: Json) => o.kind === 'Deployment').map((o: Json) => o.metadata.name);
    expect(names).toEqual(expect.arrayContaining(['webserverapp', 'metricscollector', 'edgehub']));
  });

  it('exits 1 with diagnostics on stderr and nothing on stdout for an invalid manifest', async () => {
    const file = writeManifest('noimage.json', (d) => {
      delete d.modules.webserverapp.settings.image;
    });
    const r = await run('translate', file);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(`${modulesPointer}/webserverapp/settings`);
  });

  it('rejects a bad option value with exit code 2', async () => {
    const r = await run('translate', samplePath('webserver.json'), '--namespace', 'Not_A_Label');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/DNS-1123 label/);
  });

  it.each([['run', '--sandbox'], ['sandbox']])('%s refuses a --service-host outside 127.0.0.0/8 before starting anything', async (...verb) => {
    for (const bad of ['foo', '10.0.0.1', '127.0.0.256']) {
      const r = await run(...verb, '--service-host', bad, '--state-dir', join(tmp, 'never'));
      expect(r.code).toBe(1);
      expect(r.err).toBe(`error: --service-host '${bad}' must be an IPv4 loopback address (127.0.0.0/8), e.g. 127.0.0.3\n`);
      expect(r.err).not.toContain('internal error');
    }
  });

  it('never prints a registry password', async () => {
    const r = await run('validate', samplePath('registry-credentials.json'), '--json');
    expect(r.out + r.err).not.toContain('sample-password-not-real');
  });
});

describe('the installed bin', () => {
  it('runs as a process and sets the exit code', async () => {
    const bin = join(repoRoot, 'bin', 'iotedge-k8s.js');
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'translate', samplePath('webserver.json')]);
    expect(stdout).toContain('kind: Deployment');
    await expect(promisify(execFile)(process.execPath, [bin, 'validate', join(tmp, 'missing.json')])).rejects.toMatchObject({ code: 1 });
  }, 30000);
});
