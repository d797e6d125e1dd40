/**
 * KubeConfigLoader: what each kind of kubeconfig user and cluster adds to a request, and what
 * it hands to client-node (an exec plugin, run for real here).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
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
