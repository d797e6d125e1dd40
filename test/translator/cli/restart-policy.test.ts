/**
 * Restart and pull policies through `translate | kubectl apply` on the Kubernetes API emulator,
 * whose simulated kubelet restarts and backs off as a real one does: an `on-failure` module
 * keeps restarting after a crash past Kubernetes' default Job limit of 6 (edgeAgent has no
 * lifetime cap), and stays stopped after exit 0; `on-create` with a mutable tag pulls on every
 * pod a changed module creates. Skipped (with a message) when kubectl is not on the PATH.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ImageCatalog, startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { module, run, translateJson, writeManifest, type Json } from './manifests.js';

jest.setTimeout(120_000);

const kubectlPath = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'kubectl')).find((p) => existsSync(p));
if (!kubectlPath) console.log('kubectl is not on the PATH: skipping the restart policy tests');
const suite = kubectlPath ? describe : describe.skip;

let emulator: KubeEmulator;
let dir: string;

function kubectl(input: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = execFile(kubectlPath!, ['--kubeconfig', join(dir, 'kubeconfig'), ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? 1 : 0, out: stdout, err: stderr }),
    );
    child.stdin!.end(input);
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function getJson(...args: string[]): Promise<Json> {
  const r = await kubectl('', 'get', ...args, '-o', 'json');
  return r.code === 0 ? JSON.parse(r.out) : undefined;
}

suite('restart policies on a (simulated) kubelet', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restart-policy-'));
    const catalog = new ImageCatalog({
      'contoso.azurecr.io/crasher:1.0': { kind: 'crash', code: 3, afterMs: 50 },
      'contoso.azurecr.io/oneshot:1.0': { kind: 'exit', code: 0, afterMs: 50 },
    });
    emulator = await startKubeEmulator({ stateDir: dir, timeFactor: 0.004, catalog });
  });

  afterAll(async () => {
    await emulator?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('an on-failure module keeps restarting after its 6th crash; exit 0 stays stopped', async () => {
    const file = writeManifest('on-failure.json', (d) => {
      d.modules.crasher = module({}, { restartPolicy: 'on-failure', settings: { image: 'contoso.azurecr.io/crasher:1.0' } });
      d.modules.oneshot = module({}, { restartPolicy: 'on-failure', settings: { image: 'contoso.azurecr.io/oneshot:1.0' } });
    });
    const yaml = await run('translate', file, '--namespace', 'restarts');
    expect(yaml.code).toBe(0);
    const applied = await kubectl(yaml.out, 'apply', '-f', '-');
    expect(applied.err).toBe('');

    const crashing = await waitFor('crasher restarted more than 8 times', async () => {
      const pods = await getJson('pods', '-n', 'restarts', '-l', 'net.azure-devices.edge.module=crasher');
      const restarts = pods?.items?.[0]?.status?.containerStatuses?.[0]?.restartCount ?? 0;
      return restarts > 8 ? pods.items[0] : undefined;
    });
    expect(crashing.spec.restartPolicy).toBe('OnFailure');
    const job = await getJson('job', 'crasher', '-n', 'restarts');
    expect(job.spec.backoffLimit).toBe(2147483647);
    expect((job.status.conditions ?? []).filter((c: Json) => c.type === 'Failed' && c.status === 'True')).toEqual([]);

    const done = await waitFor('oneshot completed', async () => {
      const j = await getJson('job', 'oneshot', '-n', 'restarts');
      return (j?.status?.conditions ?? []).some((c: Json) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    expect(done.status.succeeded).toBe(1);
    const pods = await getJson('pods', '-n', 'restarts', '-l', 'net.azure-devices.edge.module=oneshot');
    expect(pods.items).toHaveLength(1);
    expect(pods.items[0].status.containerStatuses[0].restartCount).toBe(0);
  });
});

describe('imagePullPolicy on-create', () => {
  it('a mutable tag is pulled by every pod a changed module creates (Always); a digest is not (IfNotPresent)', async () => {
    const digest = `contoso.azurecr.io/app@sha256:${'b'.repeat(64)}`;
    const file = writeManifest('pull.json', (d) => {
      d.modules.tagged = module({}, { imagePullPolicy: 'on-create', settings: { image: 'contoso.azurecr.io/app:1.0' } });
      d.modules.pinned = module({}, { imagePullPolicy: 'on-create', settings: { image: digest } });
      d.modules.local = module({}, { imagePullPolicy: 'never', settings: { image: 'contoso.azurecr.io/app:1.0' } });
    });
    const { items } = await translateJson(file);
    const policy = (name: string): string => items.find((o) => o.kind === 'Deployment' && o.metadata.name === name).spec.template.spec.containers[0].imagePullPolicy;
    expect([policy('tagged'), policy('pinned'), policy('local')]).toEqual(['Always', 'IfNotPresent', 'Never']);
  });
});
