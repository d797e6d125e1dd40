/**
 * `validate` through the CLI on createOptions edgeAgent accepts (Newtonsoft.Json's lenient
 * reading) and on values a real API server or node refuses: each must fail with a pointer (or
 * warn, or pass) before anything reaches a cluster.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { find, module, modulesPointer, run, tmp, translateJson, writeManifest } from './manifests.js';

const co = (name: string, ...tokens: string[]): string => [`${modulesPointer}/${name}/settings/createOptions`, ...tokens].join('/');

async function validateModule(name: string, createOptions: unknown): Promise<{ code: number; out: string; err: string }> {
  const file = writeManifest(`${name}-${Math.random().toString(36).slice(2, 8)}.json`, (d) => {
    d.modules[name] = module(createOptions);
  });
  return run('validate', file);
}

describe('createOptions as edgeAgent reads them (Newtonsoft.Json)', () => {
  it.each([
    ['unquoted keys', '{HostConfig:{"Privileged":true}}', 'an unquoted property name'],
    ['single-quoted strings', "{'HostConfig':{'Privileged':true}}", 'a single-quoted string'],
    ['trailing commas', '{"HostConfig":{"Privileged":true,},}', 'a trailing comma'],
    ['comments', '{/* privileged */ "HostConfig":{"Privileged":true}}', 'a comment'],
  ])('%s are accepted with a warning naming the pointer, and translated', async (_name, text, what) => {
    const r = await validateModule('lenient', text);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`warning 200 ${co('lenient')}: createOptions is not strict JSON: ${what} at line 1, column`);
    const file = writeManifest('lenient-translate.json', (d) => {
      d.modules.lenient = module(text);
    });
    const { items } = await translateJson(file);
    expect(find(items, 'Deployment', 'lenient').spec.template.spec.containers[0].securityContext).toEqual({ privileged: true });
  });

  it.each([
    ['text after the value', '{"HostConfig":{}} extra', /unexpected text after the end of the value at line 1, column 19/],
    ['an empty array element', '{"Cmd":["a",,"b"]}', /unexpected character \(expected a value\) at line 1, column 13/],
    ['a missing colon', '{"HostConfig" {}}', /expected ':'/],
    ['an unterminated object', '{"HostConfig":{}', /unexpected end of input/],
  ])('%s is still refused with 400 at the createOptions', async (_name, text, message) => {
    const r = await validateModule('broken', text);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`^error 400 ${co('broken').replace(/[$.]/g, '\\$&')}: createOptions is not valid JSON: ${message.source}`, 'm'));
  });

  it('a repeated key is a warning at its pointer; the last value is used', async () => {
    const text = '{"Env":["A=1"],"HostConfig":{"Privileged":false,"Privileged":true},"Env":["B=2"]}';
    const r = await validateModule('dup', text);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`warning 200 ${co('dup', 'HostConfig', 'Privileged')}: createOptions has the key 'Privileged' more than once`);
    expect(r.out).toContain(`warning 200 ${co('dup', 'Env')}: createOptions has the key 'Env' more than once`);
    const file = writeManifest('dup-translate.json', (d) => {
      d.modules.dup = module(text);
    });
    const c = find((await translateJson(file)).items, 'Deployment', 'dup').spec.template.spec.containers[0];
    expect(c.securityContext).toEqual({ privileged: true });
    expect(c.env.filter((e: { name: string }) => ['A', 'B'].includes(e.name))).toEqual([{ name: 'B', value: '2' }]);
  });

  it('100,000 levels of nesting are "too deep", exit 1, not an internal error', async () => {
    const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const r = await validateModule('deep', `{"k8s-experimental":{"affinity":${deep}}}`);
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^error 400 .*\/modules\/deep\/settings\/createOptions: createOptions is not valid JSON: nesting is too deep/m);
  });

  it('a manifest file nested 100,000 levels deep is "too deep" too', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const path = join(tmp, 'deep-file.json');
    writeFileSync(path, `{"modulesContent":{"$edgeAgent":{"properties.desired":{"x":${deep}}}}}`);
    const r = await run('validate', path);
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^error 400 \/modulesContent\/\$edgeAgent\/properties\.desired\/x(\/0)*: deep-file\.json is nested too deep/m);
  });
});

describe('values a real API server or node refuses fail validate with a pointer', () => {
  it.each([
    ['a uid above 2147483647', { User: '2147483648' }, co('m', 'User'), /above 2147483647/],
    ['a uid that would be rounded', { User: '99999999999999999999' }, co('m', 'User'), /above 2147483647/],
    ['a gid above 2147483647', { User: '1000:4294967296' }, co('m', 'User'), /above 2147483647/],
    ['a GroupAdd id above 2147483647', { HostConfig: { GroupAdd: ['5000000000'] } }, co('m', 'HostConfig', 'GroupAdd', '0'), /above 2147483647/],
    ['an invalid sysctl name', { HostConfig: { Sysctls: { 'Net.IPv4.Bad Name': '1' } } }, co('m', 'HostConfig', 'Sysctls', 'Net.IPv4.Bad Name'), /not a valid sysctl name/],
    ['.. in a bind', { HostConfig: { Binds: ['/data/../etc:/etc2'] } }, co('m', 'HostConfig', 'Binds', '0'), /must not contain '\.\.'/],
    ['.. in a bind mount', { HostConfig: { Mounts: [{ Type: 'bind', Source: '/a/../b', Target: '/b' }] } }, co('m', 'HostConfig', 'Mounts', '0', 'Source'), /must not contain '\.\.'/],
    ['.. in a k8s-experimental hostPath', { 'k8s-experimental': { volumes: [{ volume: { name: 'h', hostPath: { path: '/x/..' } }, volumeMounts: [{ mountPath: '/h' }] }] } }, co('m', 'k8s-experimental', 'volumes', '0', 'volume', 'hostPath', 'path'), /must not contain '\.\.'/],
    ['a resource name without a domain', { 'k8s-experimental': { resources: { limits: { gpu: '1' } } } }, co('m', 'k8s-experimental', 'resources', 'limits', 'gpu'), /resource name 'gpu' is not one Kubernetes accepts/],
    ['a malformed extended resource name', { 'k8s-experimental': { resources: { limits: { 'nvidia.com/gpu/x': '1' } } } }, co('m', 'k8s-experimental', 'resources', 'limits', 'nvidia.com~1gpu~1x'), /not one Kubernetes accepts/],
    ['a string runAsUser', { 'k8s-experimental': { securityContext: { runAsUser: '1000' } } }, co('m', 'k8s-experimental', 'securityContext', 'runAsUser'), /expected a whole number/],
    ['a runAsNonRoot string', { 'k8s-experimental': { securityContext: { runAsNonRoot: 'true' } } }, co('m', 'k8s-experimental', 'securityContext', 'runAsNonRoot'), /expected true or false/],
    ['a fsGroup above 2147483647', { 'k8s-experimental': { securityContext: { fsGroup: 2147483648 } } }, co('m', 'k8s-experimental', 'securityContext', 'fsGroup'), /from 0 to 2147483647/],
    ['privileged in the pod securityContext', { 'k8s-experimental': { securityContext: { privileged: true, allowPrivilegeEscalation: false } } }, co('m', 'k8s-experimental', 'securityContext', 'allowPrivilegeEscalation'), /container securityContext field/],
    ['a duplicate mountPath across k8s-experimental volumes', { 'k8s-experimental': { volumes: [{ volume: { name: 'x', emptyDir: {} }, volumeMounts: [{ mountPath: '/data' }] }, { volume: { name: 'y', emptyDir: {} }, volumeMounts: [{ mountPath: '/data' }] }] } }, co('m', 'k8s-experimental', 'volumes'), /\/data/],
    ['a duplicate mountPath in one k8s-experimental volume', { 'k8s-experimental': { volumes: [{ volume: { name: 'x', emptyDir: {} }, volumeMounts: [{ mountPath: '/data' }, { mountPath: '/data', readOnly: true }] }] } }, co('m', 'k8s-experimental', 'volumes'), /\/data/],
    ['a duplicate mountPath between Binds and k8s-experimental', { HostConfig: { Binds: ['/srv:/data'] }, 'k8s-experimental': { volumes: [{ volume: { name: 'x', emptyDir: {} }, volumeMounts: [{ mountPath: '/data' }] }] } }, co('m', 'k8s-experimental', 'volumes'), /\/data/],
    ['annotations over 256 KiB', { Labels: { 'example.com/big': 'x'.repeat(270_000) } }, co('m', 'Labels'), /Kubernetes allows 262144/],
  ])('%s', async (_name, createOptions, pointer, message) => {
    const r = await validateModule('m', createOptions);
    expect(r.code).toBe(1);
    const line = r.out.split('\n').find((l) => l.startsWith(`error 400 ${pointer}: `));
    if (!line) throw new Error(`no error at ${pointer} in:\n${r.out}`);
    expect(line).toMatch(message);
  });

  it('an object over 1.5 MiB fails validate', async () => {
    const labels = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`example.com/l${i}`, 'y'.repeat(200_000)]));
    const r = await validateModule('huge', { Labels: labels });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`^error 400 ${co('huge').replace(/[$.]/g, '\\$&')}: Deployment 'huge' would take \\d+ bytes; Kubernetes stores objects of at most 1572864 bytes`, 'm'));
  });

  it('a socket bind becomes a hostPath of type Socket', async () => {
    const file = writeManifest('socket.json', (d) => {
      d.modules.agent = module({ HostConfig: { Binds: ['/var/run/docker.sock:/var/run/docker.sock', '/run/containerd/containerd.sock:/c.sock:ro', '/data:/data'] } });
    });
    const pod = find((await translateJson(file)).items, 'Deployment', 'agent').spec.template.spec;
    const types = Object.fromEntries(pod.volumes.map((v: { hostPath: { path: string; type: string } }) => [v.hostPath.path, v.hostPath.type]));
    expect(types).toEqual({ '/var/run/docker.sock': 'Socket', '/run/containerd/containerd.sock': 'Socket', '/data': 'DirectoryOrCreate' });
  });

  it("Docker's unset LogConfig gets no warning; a real one does", async () => {
    const quiet = await validateModule('logs', { HostConfig: { LogConfig: { Type: '', Config: {} } } });
    expect(quiet.code).toBe(0);
    expect(quiet.out).not.toMatch(/LogConfig/);
    const loud = await validateModule('logs', { HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '10m' } } } });
    expect(loud.out).toContain(`warning 200 ${co('logs', 'HostConfig', 'LogConfig')}: createOptions key 'HostConfig.LogConfig' is not supported on Kubernetes and is ignored`);
  });

  it('NetworkMode "Host" gets a hint that network modes are case-sensitive', async () => {
    const r = await validateModule('net', { HostConfig: { NetworkMode: 'Host' } });
    expect(r.out).toContain(`warning 200 ${co('net', 'HostConfig', 'NetworkMode')}: NetworkMode 'Host' is not 'host'`);
  });
});
