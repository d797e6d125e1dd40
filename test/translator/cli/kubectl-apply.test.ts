/**
 * `translate | kubectl apply --dry-run=server -f -` against the Kubernetes API emulator: every
 * golden output, and manifests full of values a YAML 1.1 reader (kubectl's) would take for
 * something other than a string, and of quantities given as JSON numbers. Skipped (with a
 * message) when kubectl is not on the PATH.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { goldenDir, samples } from '../../golden/samples.js';
import { module, run, writeManifest, type Json } from './manifests.js';
import { samplePath } from '../../golden/samples.js';

jest.setTimeout(120_000);

const kubectlPath = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'kubectl')).find((p) => existsSync(p));
if (!kubectlPath) console.log('kubectl is not on the PATH: skipping the kubectl apply tests');
const suite = kubectlPath ? describe : describe.skip;

let emulator: KubeEmulator;
let dir: string;

function kubectl(input: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = execFile(kubectlPath!, ['--kubeconfig', join(dir, 'kubeconfig'), ...args], { timeout: 60_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr }),
    );
    child.stdin!.end(input);
  });
}

/** Values that YAML 1.1 (and go-yaml, which kubectl uses) reads as booleans, numbers, nulls or timestamps when unquoted. */
const TRICKY = [
  'Y', 'y', 'N', 'n', 'yes', 'No', 'ON', 'off', 'True', 'FALSE', '~', 'null', 'Null', 'NULL', '',
  '1_000', '0x1F', '012', '0o7', '0b1', '1e3', '1E-3', '.5', '+12', '-7', '1.', '.inf', '-.Inf', '.NaN',
  '1:20', '190:20:30', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '2002-12-14 21:59:43.10 -5',
  '=', '<<', '0', '00', '-0', '1_0.5', '0xFF_FF',
];

/** Keys and values that are valid label keys and values, and YAML 1.1 non-strings. */
const NODE_SELECTOR = { y: 'Y', on: 'off', '012': '0x1F', '1_000': 'yes', 'no': '2001-12-14' };

suite('translate | kubectl apply --dry-run=server', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubectl-apply-'));
    emulator = await startKubeEmulator({ stateDir: dir, timeFactor: 0.02 });
    const ns = await kubectl('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: iotedge\n', 'apply', '-f', '-');
    expect(ns.err).toBe('');
  });

  afterAll(async () => {
    await emulator?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(samples.map((s) => s.name))('golden output %s is accepted as it is', async (name) => {
    const text = readFileSync(join(goldenDir, `${name}.yaml`), 'utf8');
    const r = await kubectl(text, 'apply', '--dry-run=server', '-f', '-');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const count = text.split(/^---$/m).length;
    expect(r.out.trim().split('\n')).toHaveLength(count);
  });

  it('strings YAML 1.1 would misread reach the API server as the same strings (values and keys)', async () => {
    const file = writeManifest('tricky.json', (d) => {
      d.modules.tricky = module(
        {
          Labels: Object.fromEntries(TRICKY.filter((v) => v !== '' && /^[A-Za-z0-9]/.test(v)).map((v, i) => [`example.com/k${i}`, v])),
          'k8s-experimental': { nodeSelector: NODE_SELECTOR },
        },
        { env: Object.fromEntries(TRICKY.map((v, i) => [`V${i}`, { value: v }])) },
      );
    });
    const yaml = await run('translate', file, '--namespace', 'iotedge');
    expect(yaml.code).toBe(0);
    const r = await kubectl(yaml.out, 'apply', '--dry-run=server', '-o', 'json', '-f', '-');
    expect(r.err).toBe('');
    const items = (JSON.parse(r.out) as { items: Json[] }).items;
    const deployment = items.find((o) => o.kind === 'Deployment' && o.metadata.name === 'tricky');
    const env = Object.fromEntries(deployment.spec.template.spec.containers[0].env.map((e: Json) => [e.name, e.value ?? '']));
    TRICKY.forEach((v, i) => expect([`V${i}`, env[`V${i}`]]).toEqual([`V${i}`, v]));
    expect(deployment.spec.template.spec.nodeSelector).toEqual(NODE_SELECTOR);
    const annotations = deployment.spec.template.metadata.annotations;
    TRICKY.filter((v) => v !== '' && /^[A-Za-z0-9]/.test(v)).forEach((v, i) => expect(annotations[`example.com/k${i}`]).toBe(v));
  });

  it('translate --namespace X | kubectl apply -f - works on a cluster without X', async () => {
    const yaml = await run('translate', samplePath('webserver.json'), '--namespace', 'site-x');
    expect(yaml.code).toBe(0);
    const r = await kubectl(yaml.out, 'apply', '-f', '-');
    expect(r.err).toBe('');
    expect(r.out.split('\n')[0]).toBe('namespace/site-x created');
    expect(r.out).toContain('deployment.apps/webserverapp created');
    const got = await kubectl('', 'get', 'deployment', 'webserverapp', '-n', 'site-x', '-o', 'name');
    expect(got.out.trim()).toBe('deployment.apps/webserverapp');
  });

  it('quantities given as JSON numbers are accepted', async () => {
    const file = writeManifest('numbers.json', (d) => {
      d.modules.gpu = module({
        'k8s-experimental': {
          resources: { limits: { 'nvidia.com/gpu': 1, cpu: 0.5, memory: 268435456 }, requests: { 'nvidia.com/gpu': 1, cpu: 0.25 } },
          volumes: [{ volume: { name: 'scratch', emptyDir: { sizeLimit: 1073741824 } }, volumeMounts: [{ mountPath: '/scratch' }] }],
        },
      });
    });
    const yaml = await run('translate', file, '--namespace', 'iotedge');
    expect(yaml.code).toBe(0);
    const r = await kubectl(yaml.out, 'apply', '--dry-run=server', '-o', 'json', '-f', '-');
    expect(r.err).toBe('');
    const items = (JSON.parse(r.out) as { items: Json[] }).items;
    const pod = items.find((o) => o.kind === 'Deployment' && o.metadata.name === 'gpu').spec.template.spec;
    expect(pod.containers[0].resources).toEqual({ limits: { 'nvidia.com/gpu': '1', cpu: '500m', memory: '268435456' }, requests: { 'nvidia.com/gpu': '1', cpu: '250m' } });
  });
});
