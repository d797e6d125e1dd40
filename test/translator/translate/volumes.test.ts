import { translate } from '../../../translator/translate/index.js';
import { bindType, slugOf } from '../../../translator/translate/volumes.js';
import { co, deploymentModel, moduleModel, translateOne } from './builders.js';
import { assertValidK8s } from '../../support/k8s-schema.js';
import { shortHash } from '../../../translator/translate/names.js';

const SHARES = {
  HostConfig: {
    Mounts: [
      { Target: '/home/input', Source: 'inputshare', Type: 'volume' },
      { Target: '/home/output', Source: 'outputshare', Type: 'volume' },
    ],
  },
};

describe('storage', () => {
  it('Binds with host paths become hostPath DirectoryOrCreate volumes, read-only honoured', () => {
    const r = translateOne({ HostConfig: { Binds: ['/var/log/app:/logs', '/etc/contoso:/config:ro'] } });
    expect(r.pod.volumes).toEqual([
      { name: 'host-etc-contoso', hostPath: { path: '/etc/contoso', type: 'DirectoryOrCreate' } },
      { name: 'host-var-log-app', hostPath: { path: '/var/log/app', type: 'DirectoryOrCreate' } },
    ]);
    expect(r.container.volumeMounts).toEqual([
      { name: 'host-etc-contoso', mountPath: '/config', readOnly: true },
      { name: 'host-var-log-app', mountPath: '/logs' },
    ]);
    expect(r.diagnostics).toEqual([]);
    assertValidK8s(r.objects);
  });

  it('Azure Stack Edge shares: Mounts type volume -> claims bound to the pre-made PVs (pre-provisioned)', () => {
    const r = translateOne(SHARES, {}, { volumeBinding: 'pre-provisioned' });
    const claims = r.ofKind('PersistentVolumeClaim');
    expect(claims.map((c) => c.metadata.name)).toEqual(['inputshare', 'outputshare']);
    expect(claims[0]!.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      storageClassName: '',
      volumeName: 'inputshare',
    });
    expect(r.pod.volumes).toEqual([
      { name: 'claim-inputshare', persistentVolumeClaim: { claimName: 'inputshare' } },
      { name: 'claim-outputshare', persistentVolumeClaim: { claimName: 'outputshare' } },
    ]);
    expect(r.container.volumeMounts).toEqual([
      { name: 'claim-inputshare', mountPath: '/home/input' },
      { name: 'claim-outputshare', mountPath: '/home/output' },
    ]);
    assertValidK8s(r.objects);
  });

  it('dynamic binding uses storageClassName and volumeSize', () => {
    const r = translateOne(SHARES, {}, { volumeBinding: 'dynamic', storageClassName: 'ase-node-local', volumeSize: '5Gi' });
    expect(r.ofKind('PersistentVolumeClaim')[0]!.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '5Gi' } },
      storageClassName: 'ase-node-local',
    });
  });

  it('dynamic binding without a class leaves storageClassName out (cluster default)', () => {
    expect(translateOne(SHARES).ofKind('PersistentVolumeClaim')[0]!.spec).not.toHaveProperty('storageClassName');
  });

  it('a named volume in Binds is a claim too', () => {
    const r = translateOne({ HostConfig: { Binds: ['mydata:/data:ro'] } });
    expect(r.ofKind('PersistentVolumeClaim').map((c) => c.metadata.name)).toEqual(['mydata']);
    expect(r.container.volumeMounts).toEqual([{ name: 'claim-mydata', mountPath: '/data', readOnly: true }]);
  });

  it('a claim used by several modules is one shared object without module label', () => {
    const model = deploymentModel([moduleModel('a', SHARES), moduleModel('b', { HostConfig: { Binds: ['inputshare:/in'] } })]);
    const r = translate(model);
    const claims = r.objects.filter((o) => o.kind === 'PersistentVolumeClaim');
    expect(claims.map((c) => c.metadata.name)).toEqual(['inputshare', 'outputshare']);
    expect(claims[0]!.metadata.labels).not.toHaveProperty(['net.azure-devices.edge.module']);
    expect(claims[1]!.metadata.labels).toMatchObject({ 'net.azure-devices.edge.module': 'a' });
    assertValidK8s(r.objects);
  });

  it('claim names are sanitized; sources colliding after sanitizing get a hash and a warning', () => {
    const model = deploymentModel([moduleModel('a', { HostConfig: { Binds: ['Share:/x', 'share:/y', 'my_vol:/z'] } })]);
    const r = translate(model);
    expect(r.objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((c) => c.metadata.name)).toEqual([
      `my-vol-${shortHash('my_vol')}`,
      'share',
      `share-${shortHash('Share')}`,
    ]);
    expect(r.diagnostics.filter((d) => d.rule === 'name-collision')).toHaveLength(2);
    assertValidK8s(r.objects);
  });

  it('two mounts of one host path share a volume', () => {
    const r = translateOne({ HostConfig: { Binds: ['/data:/a', '/data:/b:ro'] } });
    expect(r.pod.volumes).toEqual([{ name: 'host-data', hostPath: { path: '/data', type: 'DirectoryOrCreate' } }]);
    expect(r.container.volumeMounts).toHaveLength(2);
  });

  it('Mounts type bind -> hostPath; tmpfs -> memory emptyDir with its size', () => {
    const r = translateOne({
      HostConfig: {
        Mounts: [
          { Type: 'bind', Source: '/srv/config', Target: '/config', ReadOnly: true },
          { Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 67108864 } },
        ],
      },
    });
    expect(r.pod.volumes).toEqual([
      { name: 'host-srv-config', hostPath: { path: '/srv/config', type: 'DirectoryOrCreate' } },
      { name: 'tmp-scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    ]);
    expect(r.container.volumeMounts).toEqual([
      { name: 'host-srv-config', mountPath: '/config', readOnly: true },
      { name: 'tmp-scratch', mountPath: '/scratch' },
    ]);
  });

  it('HostConfig.Tmpfs -> memory emptyDir (size= honoured, other options warned)', () => {
    const r = translateOne({ HostConfig: { Tmpfs: { '/run': 'rw,noexec,size=65536k' } } });
    expect(r.pod.volumes).toEqual([{ name: 'tmp-run', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }]);
    expect(r.warnings).toEqual([expect.objectContaining({ pointer: co('HostConfig', 'Tmpfs', '/run'), rule: 'unsupported-create-option' })]);
  });

  it('ShmSize -> memory emptyDir at /dev/shm', () => {
    const r = translateOne({ HostConfig: { ShmSize: 268435456 } });
    expect(r.pod.volumes).toEqual([{ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } }]);
    expect(r.container.volumeMounts).toEqual([{ name: 'shm', mountPath: '/dev/shm' }]);
  });

  it('Volumes (anonymous) and Mounts volume without Source -> emptyDir', () => {
    const r = translateOne({ Volumes: { '/cache': {} }, HostConfig: { Mounts: [{ Type: 'volume', Target: '/anon' }] } });
    expect(r.pod.volumes).toEqual([
      { name: 'data-anon', emptyDir: {} },
      { name: 'data-cache', emptyDir: {} },
    ]);
    assertValidK8s(r.objects);
  });

  it('a Volumes entry for a path that HostConfig mounts is the mount (older Docker clients list both)', () => {
    const r = translateOne({ Volumes: { '/data': {}, '/cache': {} }, HostConfig: { Binds: ['/srv/data:/data'] } });
    expect(r.diagnostics).toEqual([]);
    expect(r.pod.volumes).toEqual([
      { name: 'data-cache', emptyDir: {} },
      { name: 'host-srv-data', hostPath: { path: '/srv/data', type: 'DirectoryOrCreate' } },
    ]);
  });

  it('Devices -> hostPath CharDevice volumes, with a warning unless privileged', () => {
    const devices = [{ PathOnHost: '/dev/ttyUSB0', PathInContainer: '/dev/ttyUSB0', CgroupPermissions: 'rwm' }];
    const r = translateOne({ HostConfig: { Devices: devices } });
    expect(r.pod.volumes).toEqual([{ name: 'dev-dev-ttyusb0', hostPath: { path: '/dev/ttyUSB0', type: 'CharDevice' } }]);
    expect(r.container.volumeMounts).toEqual([{ name: 'dev-dev-ttyusb0', mountPath: '/dev/ttyUSB0' }]);
    expect(r.warnings).toEqual([expect.objectContaining({ pointer: co('HostConfig', 'Devices', 0) })]);
    const p = translateOne({ HostConfig: { Devices: devices, Privileged: true } });
    expect(p.warnings).toEqual([]);
    expect(p.container.securityContext).toEqual({ privileged: true });
    assertValidK8s(p.objects);
  });

  it('a device also listed in Binds is mounted once, as a device, with a warning', () => {
    const r = translateOne({
      HostConfig: {
        Binds: ['/dev/video0:/dev/video0'],
        Devices: [{ PathOnHost: '/dev/video0', PathInContainer: '/dev/video0', CgroupPermissions: 'mrw' }],
        Privileged: true,
      },
    });
    expect(r.errors).toEqual([]);
    expect(r.container.volumeMounts).toHaveLength(1);
    expect(r.pod.volumes).toEqual([expect.objectContaining({ hostPath: { path: '/dev/video0', type: 'CharDevice' } })]);
    expect(r.warnings).toEqual([expect.objectContaining({ rule: 'duplicate-mount', pointer: co('HostConfig', 'Devices', 0) })]);
    assertValidK8s(r.objects);
  });

  it('two different sources for one target are still an error', () => {
    const r = translateOne({ HostConfig: { Binds: ['/a:/data', '/b:/data'] } });
    expect(r.errors).toEqual([expect.objectContaining({ pointer: co('HostConfig', 'Binds', 1), code: 400 })]);
  });

  it('warns about bind options and mount fields with no Kubernetes equivalent', () => {
    const r = translateOne({
      HostConfig: {
        Binds: ['/a:/a:z'],
        Mounts: [{ Type: 'bind', Source: '/b', Target: '/b', BindOptions: { Propagation: 'rshared' } }],
      },
    });
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('HostConfig', 'Binds', 0), co('HostConfig', 'Mounts', 0, 'BindOptions')]);
    expect(r.pod.volumes).toHaveLength(2);
  });

  it('warns and leaves out unsupported mount types', () => {
    const r = translateOne({ HostConfig: { Mounts: [{ Type: 'npipe', Source: '\\\\.\\pipe\\x', Target: '/p' }] } });
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('HostConfig', 'Mounts', 0, 'Type')]);
    expect(r.pod.volumes).toBeUndefined();
  });

  it.each([
    ['Binds entry without target', { Binds: ['/data'] }, co('HostConfig', 'Binds', 0)],
    ['Binds entry with empty target', { Binds: ['/data:'] }, co('HostConfig', 'Binds', 0)],
    ['relative target', { Binds: ['/data:data'] }, co('HostConfig', 'Binds', 0)],
    ['unknown bind option', { Binds: ['/data:/data:rx'] }, co('HostConfig', 'Binds', 0)],
    ['Binds not a list', { Binds: '/a:/b' }, co('HostConfig', 'Binds')],
    ['Binds entry not a string', { Binds: [42] }, co('HostConfig', 'Binds', 0)],
    ['invalid source', { Binds: ['./rel:/x'] }, co('HostConfig', 'Binds', 0)],
    ['duplicate target', { Binds: ['/a:/x', '/b:/x'] }, co('HostConfig', 'Binds', 1)],
    ['mount without Target', { Mounts: [{ Type: 'bind', Source: '/a' }] }, co('HostConfig', 'Mounts', 0, 'Target')],
    ['mount without Type', { Mounts: [{ Source: '/a', Target: '/a' }] }, co('HostConfig', 'Mounts', 0, 'Type')],
    ['bind mount with relative Source', { Mounts: [{ Type: 'bind', Source: 'a', Target: '/a' }] }, co('HostConfig', 'Mounts', 0, 'Source')],
    ['ReadOnly not a boolean', { Mounts: [{ Type: 'bind', Source: '/a', Target: '/a', ReadOnly: 'yes' }] }, co('HostConfig', 'Mounts', 0, 'ReadOnly')],
    ['tmpfs size garbage', { Tmpfs: { '/t': 'size=lots' } }, co('HostConfig', 'Tmpfs', '/t')],
    ['ShmSize negative', { ShmSize: -1 }, co('HostConfig', 'ShmSize')],
    ['device without PathOnHost', { Devices: [{ PathInContainer: '/dev/x' }] }, co('HostConfig', 'Devices', 0, 'PathOnHost')],
  ])('rejects %s at its pointer', (_name, hostConfig, pointer) => {
    const r = translateOne({ HostConfig: hostConfig });
    expect(r.errors.map((e) => e.pointer)).toContain(pointer);
    expect(r.errors.every((e) => e.code === 400)).toBe(true);
    expect(r.objects).toEqual([]);
  });
});

describe('bindType (socket binds)', () => {
  it('is Socket for a path ending in .sock or .socket (any case), else DirectoryOrCreate', () => {
    const socket = /\.sock(et)?$/i;
    const paths = ['/var/run/docker.sock', '/run/a.socket', '/run/A.SOCK', '.sock', '/x.Socket', '/data', '/sock', '/a.sockets', '/x.sock/', '/dir.d/file', '/a.b/c', '', 'a.so'];
    for (const path of paths) expect([path, bindType(path)]).toEqual([path, socket.test(path) ? 'Socket' : 'DirectoryOrCreate']);
    expect(paths.filter((p) => bindType(p) === 'Socket')).toEqual(['/var/run/docker.sock', '/run/a.socket', '/run/A.SOCK', '.sock', '/x.Socket']);
  });
});

describe('slugOf (volume names)', () => {
  // The regular expressions it replaced, kept here as the definition it must match.
  const bySubstitution = (text: string): string =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '');

  it('lower-cases, joins runs of other characters with one dash and trims dashes', () => {
    expect(slugOf('/var/lib/Data')).toBe('var-lib-data');
    expect(slugOf('--a__b--')).toBe('a-b');
    expect(slugOf('///')).toBe('');
    expect(slugOf('')).toBe('');
    expect(slugOf('İx/ÄB9')).toBe(bySubstitution('İx/ÄB9'));
  });

  it('gives what the substitution gives on random text', () => {
    const alphabet = ['a', 'Z', '0', '9', '/', '-', '_', '.', ' ', 'İ', 'ß', 'Σ', '\u{1F600}', '~'];
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let k = 0; k < 5000; k++) {
      let text = '';
      for (let n = next() % 12; n > 0; n--) text += alphabet[next() % alphabet.length];
      expect(slugOf(text)).toBe(bySubstitution(text));
    }
  });
});
