import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST_CONFIG_KEYS, TOP_LEVEL_KEYS, type KeyRule } from '../../../translator/translate/create-options.js';
import { translate } from '../../../translator/translate/index.js';
import { co, deploymentModel, moduleModel, translateOne, type OneModule } from './builders.js';
import { assertValidK8s } from '../../support/k8s-schema.js';

const ignoredKeys = (table: Record<string, KeyRule>): string[] => Object.keys(table).filter((k) => 'ignored' in table[k]!);
const mappedKeys = (table: Record<string, KeyRule>): string[] => Object.keys(table).filter((k) => 'handler' in table[k]!);

/** Where a key lives: top level or inside HostConfig. */
const wrap = (where: 'top' | 'host', key: string, value: unknown): Record<string, unknown> =>
  where === 'top' ? { [key]: value } : { HostConfig: { [key]: value } };
const pointerOf = (where: 'top' | 'host', key: string): string => (where === 'top' ? co(key) : co('HostConfig', key));

describe('keys without a Kubernetes equivalent', () => {
  const cases = [
    ...ignoredKeys(TOP_LEVEL_KEYS).map((k) => ['top', k] as const),
    ...ignoredKeys(HOST_CONFIG_KEYS).map((k) => ['host', k] as const),
  ];

  it('include the no-ops the brief names', () => {
    expect(ignoredKeys(HOST_CONFIG_KEYS)).toEqual(expect.arrayContaining(['LogConfig', 'RestartPolicy']));
    expect(ignoredKeys(TOP_LEVEL_KEYS)).toContain('NetworkingConfig');
  });

  it.each(cases)('%s %s warns with its pointer and a reason', (where, key) => {
    const r = translateOne(wrap(where, key, { Type: 'json-file' }));
    expect(r.warnings).toEqual([
      expect.objectContaining({ pointer: pointerOf(where, key), rule: 'unsupported-create-option', code: 200, severity: 'warning' }),
    ]);
    expect(r.warnings[0]!.message).toContain(key);
    expect(r.warnings[0]!.message).toMatch(/ignored: .{10,}/);
    expect(r.workload).toBeDefined();
  });

  it.each(cases)('%s %s with an unset value (null, false, 0, "", [], {}) is silent', (where, key) => {
    for (const unset of [null, false, 0, '', [], {}]) expect(translateOne(wrap(where, key, unset)).diagnostics).toEqual([]);
  });

  it('NetworkingConfig as IoT Edge writes it warns once', () => {
    const r = translateOne({ NetworkingConfig: { EndpointsConfig: { host: {} } } });
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('NetworkingConfig')]);
  });
});

describe('unknown keys', () => {
  it('warn with the key and pointer', () => {
    const r = translateOne({ Foo: 1, HostConfig: { Bar: { x: 1 } } });
    expect(r.warnings.map((w) => [w.pointer, w.rule])).toEqual([
      [co('Foo'), 'unsupported-create-option'],
      [co('HostConfig', 'Bar'), 'unsupported-create-option'],
    ]);
    expect(r.warnings[1]!.message).toContain("'HostConfig.Bar'");
  });

  it('hint at case slips and misplaced keys, without mapping them', () => {
    const r = translateOne({ hostconfig: { Privileged: true }, PortBindings: { '80/tcp': [{ HostPort: '80' }] }, HostConfig: { ExposedPorts: { '80/tcp': {} } } });
    const byPointer = Object.fromEntries(r.warnings.map((w) => [w.pointer, w.message]));
    expect(byPointer[co('hostconfig')]).toContain("did you mean 'HostConfig'");
    expect(byPointer[co('PortBindings')]).toContain('belongs inside HostConfig');
    expect(byPointer[co('HostConfig', 'ExposedPorts')]).toContain('belongs at the top level');
    expect(r.service).toBeUndefined();
    expect(r.container.securityContext).toBeUndefined();
  });

  it('do not take a name of an inherited member (constructor, toString) for a key of the other level', () => {
    const r = translateOne({ constructor: 1, HostConfig: { toString: 1 } });
    const byPointer = Object.fromEntries(r.warnings.map((w) => [w.pointer, w.message]));
    expect(byPointer[co('constructor')]).toBe("createOptions key 'constructor' is unknown and is ignored");
    expect(byPointer[co('HostConfig', 'toString')]).toBe("createOptions key 'HostConfig.toString' is unknown and is ignored");
  });

  it('escape / and ~ in pointers', () => {
    const r = translateOne({ 'a/b~c': 1 });
    expect(r.warnings[0]!.pointer).toBe(co('a/b~c'));
    expect(r.warnings[0]!.pointer.endsWith('/a~1b~0c')).toBe(true);
  });
});

/** One example per mapped key, asserting the field it produces (or its specific warning). */
const MAPPED: Record<string, [Record<string, unknown>, (r: OneModule) => void]> = {
  Hostname: [{ Hostname: 'gw' }, (r) => expect(r.pod.hostname).toBe('gw')],
  User: [{ User: '1001' }, (r) => expect(r.container.securityContext).toEqual({ runAsUser: 1001 })],
  ExposedPorts: [{ ExposedPorts: { '80/tcp': {} } }, (r) => expect(r.container.ports).toEqual([{ containerPort: 80, name: 'tcp-80', protocol: 'TCP' }])],
  Tty: [{ Tty: true }, (r) => expect(r.container.tty).toBe(true)],
  OpenStdin: [{ OpenStdin: true }, (r) => expect(r.container.stdin).toBe(true)],
  StdinOnce: [{ StdinOnce: true }, (r) => expect(r.container.stdinOnce).toBe(true)],
  Env: [{ Env: ['A=1'] }, (r) => expect(r.container.env[0]).toEqual({ name: 'A', value: '1' })],
  Cmd: [{ Cmd: ['--verbose', 'run'] }, (r) => expect(r.container.args).toEqual(['--verbose', 'run'])],
  Healthcheck: [{ Healthcheck: { Test: ['CMD', 'true'] } }, (r) => expect(r.container.livenessProbe.exec).toEqual({ command: ['true'] })],
  Volumes: [{ Volumes: { '/v': {} } }, (r) => expect(r.pod.volumes).toEqual([{ name: 'data-v', emptyDir: {} }])],
  WorkingDir: [{ WorkingDir: '/app' }, (r) => expect(r.container.workingDir).toBe('/app')],
  Entrypoint: [{ Entrypoint: '/bin/app' }, (r) => expect(r.container.command).toEqual(['/bin/app'])],
  Labels: [{ Labels: { 'com.example.team': 'edge' } }, (r) => expect((r.workload!.spec as any).template.metadata.annotations['com.example.team']).toBe('edge')], // eslint-disable-line @typescript-eslint/no-explicit-any
  StopTimeout: [{ StopTimeout: 45 }, (r) => expect(r.pod.terminationGracePeriodSeconds).toBe(45)],
  HostConfig: [{ HostConfig: {} }, (r) => expect(r.diagnostics).toEqual([])],
  'k8s-experimental': [{ 'k8s-experimental': { nodeSelector: { a: 'b' } } }, (r) => expect(r.pod.nodeSelector).toEqual({ a: 'b' })],
  'HostConfig.Binds': [{ HostConfig: { Binds: ['/h:/c'] } }, (r) => expect(r.pod.volumes[0].hostPath).toEqual({ path: '/h', type: 'DirectoryOrCreate' })],
  'HostConfig.NetworkMode': [{ HostConfig: { NetworkMode: 'host' } }, (r) => expect(r.pod.hostNetwork).toBe(true)],
  'HostConfig.PortBindings': [{ HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '81' }] } } }, (r) => expect((r.service!.spec as any).ports[0].port).toBe(81)], // eslint-disable-line @typescript-eslint/no-explicit-any
  'HostConfig.Mounts': [{ HostConfig: { Mounts: [{ Type: 'volume', Source: 's', Target: '/s' }] } }, (r) => expect(r.ofKind('PersistentVolumeClaim')).toHaveLength(1)],
  'HostConfig.CapAdd': [{ HostConfig: { CapAdd: ['NET_ADMIN'] } }, (r) => expect(r.container.securityContext.capabilities).toEqual({ add: ['NET_ADMIN'] })],
  'HostConfig.CapDrop': [{ HostConfig: { CapDrop: ['MKNOD'] } }, (r) => expect(r.container.securityContext.capabilities).toEqual({ drop: ['MKNOD'] })],
  'HostConfig.Dns': [{ HostConfig: { Dns: ['1.1.1.1'] } }, (r) => expect(r.pod.dnsConfig).toEqual({ nameservers: ['1.1.1.1'] })],
  'HostConfig.DnsOptions': [{ HostConfig: { DnsOptions: ['ndots:1'] } }, (r) => expect(r.pod.dnsConfig).toEqual({ options: [{ name: 'ndots', value: '1' }] })],
  'HostConfig.DnsSearch': [{ HostConfig: { DnsSearch: ['a.example'] } }, (r) => expect(r.pod.dnsConfig).toEqual({ searches: ['a.example'] })],
  'HostConfig.ExtraHosts': [{ HostConfig: { ExtraHosts: ['h:1.2.3.4'] } }, (r) => expect(r.pod.hostAliases).toEqual([{ ip: '1.2.3.4', hostnames: ['h'] }])],
  'HostConfig.GroupAdd': [{ HostConfig: { GroupAdd: ['20'] } }, (r) => expect(r.pod.securityContext).toEqual({ supplementalGroups: [20] })],
  'HostConfig.IpcMode': [{ HostConfig: { IpcMode: 'host' } }, (r) => expect(r.pod.hostIPC).toBe(true)],
  'HostConfig.PidMode': [{ HostConfig: { PidMode: 'host' } }, (r) => expect(r.pod.hostPID).toBe(true)],
  'HostConfig.Privileged': [{ HostConfig: { Privileged: true } }, (r) => expect(r.container.securityContext).toEqual({ privileged: true })],
  'HostConfig.ReadonlyRootfs': [{ HostConfig: { ReadonlyRootfs: true } }, (r) => expect(r.container.securityContext).toEqual({ readOnlyRootFilesystem: true })],
  'HostConfig.SecurityOpt': [{ HostConfig: { SecurityOpt: ['no-new-privileges'] } }, (r) => expect(r.container.securityContext).toEqual({ allowPrivilegeEscalation: false })],
  'HostConfig.Tmpfs': [{ HostConfig: { Tmpfs: { '/t': '' } } }, (r) => expect(r.pod.volumes).toEqual([{ name: 'tmp-t', emptyDir: { medium: 'Memory' } }])],
  'HostConfig.ShmSize': [{ HostConfig: { ShmSize: 1048576 } }, (r) => expect(r.pod.volumes).toEqual([{ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }])],
  'HostConfig.Sysctls': [{ HostConfig: { Sysctls: { 'kernel.shm_rmid_forced': '1' } } }, (r) => expect(r.pod.securityContext.sysctls).toEqual([{ name: 'kernel.shm_rmid_forced', value: '1' }])],
  'HostConfig.CpuShares': [{ HostConfig: { CpuShares: 1024 } }, (r) => expect(r.container.resources).toEqual({ requests: { cpu: '1000m' } })],
  'HostConfig.Memory': [{ HostConfig: { Memory: 1073741824 } }, (r) => expect(r.container.resources).toEqual({ limits: { memory: '1Gi' } })],
  'HostConfig.NanoCpus': [{ HostConfig: { NanoCpus: 250000000 } }, (r) => expect(r.container.resources).toEqual({ limits: { cpu: '250m' } })],
  'HostConfig.CpuPeriod': [{ HostConfig: { CpuPeriod: 50000, CpuQuota: 100000 } }, (r) => expect(r.container.resources).toEqual({ limits: { cpu: '2000m' } })],
  'HostConfig.CpuQuota': [{ HostConfig: { CpuQuota: 25000 } }, (r) => expect(r.container.resources).toEqual({ limits: { cpu: '250m' } })],
  'HostConfig.Devices': [{ HostConfig: { Devices: [{ PathOnHost: '/dev/i2c-1' }] } }, (r) => expect(r.pod.volumes[0].hostPath).toEqual({ path: '/dev/i2c-1', type: 'CharDevice' })],
  'HostConfig.DeviceRequests': [{ HostConfig: { DeviceRequests: [{ Count: 1, Capabilities: [['gpu']] }] } }, (r) => expect(r.container.resources).toEqual({ limits: { 'nvidia.com/gpu': '1' } })],
  'HostConfig.MemoryReservation': [{ HostConfig: { MemoryReservation: 1048576 } }, (r) => expect(r.container.resources).toEqual({ requests: { memory: '1Mi' } })],
};

describe('mapped keys', () => {
  it('every mapped key has an example here', () => {
    const keys = [...mappedKeys(TOP_LEVEL_KEYS), ...mappedKeys(HOST_CONFIG_KEYS).map((k) => `HostConfig.${k}`)];
    expect(Object.keys(MAPPED).sort()).toEqual(keys.sort());
  });

  it.each(Object.keys(MAPPED))('%s produces its field', (key) => {
    const [createOptions, check] = MAPPED[key]!;
    const r = translateOne(createOptions);
    expect(r.errors).toEqual([]);
    check(r);
    assertValidK8s(r.objects);
  });

  it.each(Object.keys(MAPPED).filter((k) => k !== 'HostConfig.CpuPeriod'))('%s with a wrong type is an error at its pointer, not a crash', (key) => {
    const [where, name] = key.startsWith('HostConfig.') ? (['host', key.slice(11)] as const) : (['top', key] as const);
    const r = translateOne(wrap(where, name, 12.5));
    expect(r.errors.map((e) => e.pointer)).toEqual([pointerOf(where, name)]);
    expect(r.errors[0]!.code).toBe(400);
    expect(r.objects).toEqual([]);
  });

  it('a string list with an item of another type is an error at that item; holes are skipped', () => {
    const r = translateOne({ Cmd: ['run', 7, 'now', null] });
    expect(r.errors.map((e) => [e.pointer, e.message])).toEqual([
      [co('Cmd', 1), `expected a string at ${co('Cmd', 1)}, found number`],
      [co('Cmd', 3), `expected a string at ${co('Cmd', 3)}, found null`],
    ]);
    expect(r.objects).toEqual([]);
    // eslint-disable-next-line no-sparse-arrays
    expect(translateOne({ Cmd: ['run', , 'now'] }).container.args).toEqual(['run', 'now']);
  });
});

describe('docs/translation.md', () => {
  it('has a table row for every createOptions key', () => {
    const doc = readFileSync(join(process.cwd(), 'docs', 'translation.md'), 'utf8');
    const missing = [
      ...Object.keys(TOP_LEVEL_KEYS).filter((k) => !doc.includes(`| \`${k}\` |`)),
      ...Object.keys(HOST_CONFIG_KEYS).filter((k) => !doc.includes(`| \`HostConfig.${k}\` |`)),
    ];
    expect(missing).toEqual([]);
  });
});

/** A small deterministic PRNG (mulberry32) so the fuzz cases are the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('arbitrary createOptions', () => {
  const random = prng(20261128);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const strings = ['', 'host', '80/tcp', '/data:/data:ro', 'a=b', '1000:1000', 'CMD', 'x'.repeat(70), 'gpu', 'volume', '/tmp', 'ndots:2', '10.0.0.1'];
  const value = (depth: number): unknown => {
    const kind = random();
    if (depth > 2 || kind < 0.15) return pick([null, true, false, 0, -1, 1, 65536, 1e9, 12.5, ...strings]);
    if (kind < 0.5) return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
    const keys = [...Object.keys(TOP_LEVEL_KEYS), ...Object.keys(HOST_CONFIG_KEYS), 'Type', 'Source', 'Target', 'HostPort', 'Test', 'Count', ...strings];
    return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [pick(keys), value(depth + 1)]));
  };

  it('never throw, and whatever they produce is valid Kubernetes', () => {
    let translated = 0;
    for (let i = 0; i < 400; i++) {
      const createOptions: Record<string, unknown> = {};
      const hostConfig: Record<string, unknown> = {};
      for (let k = 0; k < 3; k++) createOptions[pick(Object.keys(TOP_LEVEL_KEYS))] = value(1);
      for (let k = 0; k < 4; k++) hostConfig[pick(Object.keys(HOST_CONFIG_KEYS))] = value(1);
      createOptions.HostConfig = hostConfig;
      const model = deploymentModel([moduleModel('fuzz', createOptions), moduleModel('ok')]);
      const result = translate(model);
      expect(result.objects.some((o) => o.metadata.name === 'ok')).toBe(true);
      if (result.objects.some((o) => o.metadata.name === 'fuzz')) translated++;
      assertValidK8s(result.objects);
    }
    expect(translated).toBeGreaterThan(0);
  });

  it('combinations of valid keys translate together into valid Kubernetes', () => {
    const examples = Object.values(MAPPED).map(([options]) => options);
    const ignoredHost = ignoredKeys(HOST_CONFIG_KEYS);
    let translated = 0;
    for (let i = 0; i < 300; i++) {
      const createOptions: Record<string, unknown> = {};
      const hostConfig: Record<string, unknown> = {};
      for (let k = 0; k < 2 + Math.floor(random() * 8); k++) {
        const { HostConfig, ...rest } = pick(examples) as { HostConfig?: Record<string, unknown> };
        Object.assign(createOptions, rest);
        Object.assign(hostConfig, HostConfig ?? {});
      }
      hostConfig[pick(ignoredHost)] = pick(['x', 1, true, { a: 1 }]);
      createOptions.HostConfig = hostConfig;
      const restartPolicy = pick(['always', 'on-unhealthy', 'on-failure', 'never'] as const);
      const result = translate(deploymentModel([moduleModel('combo', createOptions, { restartPolicy }), moduleModel('ok')]));
      assertValidK8s(result.objects);
      if (result.diagnostics.every((d) => d.severity === 'warning')) {
        translated++;
        expect(result.objects.filter((o) => o.metadata.name === 'combo').length).toBeGreaterThanOrEqual(2);
      }
    }
    expect(translated).toBeGreaterThan(250);
  });
});
