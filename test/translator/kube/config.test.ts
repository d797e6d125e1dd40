/**
 * KubeConfigLoader: what each kind of kubeconfig user and cluster adds to a request, and what
 * it hands to client-node (an exec plugin, run for real here).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { stringify } from 'yaml';
import { KubeConfigLoader } from '../../../translator/kube/index.js';

const dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-kubeconfig-'));

function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://api.example:6443', ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'edge' } }],
    'current-context': 'ctx',
  });
}

async function applied(kc: KubeConfigLoader): Promise<RequestOptions & { headers: Record<string, string> }> {
  const opts: RequestOptions = { method: 'GET', path: '/api/v1/namespaces' };
  await kc.applyToHTTPSOptions(opts);
  return opts as RequestOptions & { headers: Record<string, string> };
}

it('a file: CA and client certificate files relative to its folder, a token, TLS server name', async () => {
  writeFileSync(join(dir, 'ca.crt'), 'CA PEM');
  writeFileSync(join(dir, 'client.crt'), 'CERT PEM');
  writeFileSync(join(dir, 'client.key'), 'KEY PEM');
  const file = join(dir, 'config');
  writeFileSync(file, kubeconfig({ 'certificate-authority': 'ca.crt', 'tls-server-name': 'kubernetes' }, { 'client-certificate': 'client.crt', 'client-key': 'client.key', token: 'abc' }));
  const kc = new KubeConfigLoader();
  kc.loadFromFile(file);
  expect(kc.getCurrentCluster()?.server).toBe('https://api.example:6443');
  const opts = await applied(kc);
  expect(String(opts.ca)).toBe('CA PEM');
  expect(String(opts.cert)).toBe('CERT PEM');
  expect(String(opts.key)).toBe('KEY PEM');
  expect(opts.servername).toBe('kubernetes');
  expect(opts.rejectUnauthorized).toBeUndefined();
  expect(opts.headers.Authorization).toBe('Bearer abc');
});

it('CA and client certificate files are read once (the request pool keeps connections by them), until the context changes', async () => {
  const sub = mkdtempSync(join(dir, 'once-'));
  const write = (version: number) => {
    for (const [name, text] of [['ca.crt', 'CA'], ['client.crt', 'CERT'], ['client.key', 'KEY']] as const) writeFileSync(join(sub, name), `${text} ${version}`);
  };
  write(1);
  const file = join(sub, 'config');
  writeFileSync(file, kubeconfig({ 'certificate-authority': 'ca.crt' }, { 'client-certificate': 'client.crt', 'client-key': 'client.key' }));
  const kc = new KubeConfigLoader();
  kc.loadFromFile(file);
  const first = await applied(kc);
  for (const name of ['ca.crt', 'client.crt', 'client.key']) rmSync(join(sub, name));
  const second = await applied(kc);
  expect([second.ca, second.cert, second.key]).toEqual([first.ca, first.cert, first.key]);
  expect(second.ca).toBe(first.ca);
  // Another context (another cluster entry) reads its own files.
  write(2);
  kc.clusters = kc.clusters.map((c) => ({ ...c }));
  const third = await applied(kc);
  expect([String(third.ca), String(third.cert)]).toEqual(['CA 2', 'CERT 2']);
});

it('a proxy: client-node\'s agent (the route) is kept; an exec plugin\'s agent is dropped for the pool\'s', async () => {
  const viaProxy = new KubeConfigLoader();
  viaProxy.loadFromString(kubeconfig({ 'proxy-url': 'http://proxy.example:3128' }, { token: 't' }));
  expect((await applied(viaProxy)).agent).toBeInstanceOf(Agent);
  const plugin = join(dir, 'exec-plugin-agent.cjs');
  writeFileSync(plugin, `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-exec' } }));\n`);
  const exec = new KubeConfigLoader();
  exec.loadFromString(kubeconfig({}, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin], interactiveMode: 'Never' } }));
  expect((await applied(exec)).agent).toBeUndefined();
}, 20_000);

it('inline data, insecure-skip-tls-verify, basic auth and impersonation', async () => {
  const kc = new KubeConfigLoader();
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  kc.loadFromString(kubeconfig({ 'certificate-authority-data': b64('CA'), 'insecure-skip-tls-verify': true }, { 'client-certificate-data': b64('C'), 'client-key-data': b64('K'), username: 'me', password: 'pw', as: 'someone' }));
  const opts = await applied(kc);
  expect([String(opts.ca), String(opts.cert), String(opts.key)]).toEqual(['CA', 'C', 'K']);
  expect(opts.rejectUnauthorized).toBe(false);
  expect(opts.auth).toBe('me:pw');
  expect(opts.headers['Impersonate-User']).toBe('someone');
});

it('a token file is read, and read again once a minute has passed', async () => {
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'first\n');
  const kc = new KubeConfigLoader();
  kc.loadFromString(kubeconfig({}, { 'auth-provider': { name: 'tokenFile', config: { tokenFile } } }));
  expect((await applied(kc)).headers.Authorization).toBe('Bearer first');
  writeFileSync(tokenFile, 'second\n');
  expect((await applied(kc)).headers.Authorization).toBe('Bearer first');
  const now = Date.now();
  const spy = jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
  try {
    expect((await applied(kc)).headers.Authorization).toBe('Bearer second');
  } finally {
    spy.mockRestore();
  }
});

it('in a pod: the API server from KUBERNETES_SERVICE_HOST/PORT (IPv6 in brackets) and the service account token', () => {
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
  try {
    process.env.KUBERNETES_SERVICE_HOST = 'fd00::1';
    process.env.KUBERNETES_SERVICE_PORT = '443';
    const kc = new KubeConfigLoader();
    kc.loadFromCluster();
    expect(kc.getCurrentCluster()?.server).toBe('https://[fd00::1]:443');
    expect(kc.getCurrentUser()?.authProvider).toEqual({ name: 'tokenFile', config: { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' } });
  } finally {
    for (const [k, v] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

it('an exec plugin is handed to client-node, which runs it', async () => {
  const plugin = join(dir, 'exec-plugin.cjs');
  writeFileSync(plugin, `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-exec' } }));\n`);
  const kc = new KubeConfigLoader();
  kc.loadFromString(kubeconfig({}, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin], interactiveMode: 'Never' } }));
  expect((await applied(kc)).headers.Authorization).toBe('Bearer from-exec');
}, 20_000);

it('a document that is not a kubeconfig is refused', () => {
  expect(() => new KubeConfigLoader().loadFromString('just text')).toThrow(/not a YAML mapping/);
  expect(() => new KubeConfigLoader().loadFromString(stringify({ clusters: [{ name: 'x' }] }))).toThrow();
});
