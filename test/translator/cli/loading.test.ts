/**
 * Which modules a CLI verb loads, seen from a real `iotedge-k8s` process (a resolve hook
 * records every module URL): `validate` and `translate` never load the emulators (sandbox/),
 * which only the sandbox wiring loads, lazily, nor @kubernetes/client-node or azure-iot-*, which
 * only the bridge needs.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../../golden/samples.js';
import { binPath as bin, ensureBuilt } from '../../support/build.js';

beforeAll(() => ensureBuilt(), 180_000);

const recorder = join(repoRoot, 'test', 'support', 'record-loads.mjs');
// The bin runs the compiled build (dist/); the sources' URLs count too, should it run them.
const sandboxUrls = [join(repoRoot, 'sandbox'), join(repoRoot, 'dist', 'sandbox')].map((dir) => pathToFileURL(dir).href + '/');
const sample = join(repoRoot, 'deployment-manifests', 'webserver.json');

/** Runs the CLI; its exit code, stderr and the modules it resolved. */
function runCli(args: string[]): Promise<{ code: number; stderr: string; modules: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-loads-'));
  const file = join(dir, 'modules.txt');
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', pathToFileURL(recorder).href, bin, ...args], { env: { ...process.env, RECORD_LOADS_FILE: file }, cwd: dir }, (error, _stdout, stderr) => {
      let modules: string[] = [];
      try {
        modules = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      } catch {
        // nothing resolved
      }
      resolve({ code: error ? Number(error.code ?? 1) : 0, stderr, modules });
    });
  });
}

const fromSandbox = (modules: string[]) => modules.filter((url) => sandboxUrls.some((prefix) => url.startsWith(prefix)));
/** The packages among `modules` that only the bridge needs: the Kubernetes client and the device SDK. */
const bridgePackages = (modules: string[]) => [...new Set(modules.map((url) => /\/node_modules\/(@kubernetes\/client-node|azure-iot-[^/]+)\//.exec(url)?.[1]).filter(Boolean))];
const isMain = (url: string) => /\/translator\/cli\/main\.(ts|js)$/.test(url);

it.each([
  ['validate', [sample]],
  ['translate', [sample]],
])('%s does not load the emulators, the Kubernetes client or the device SDK', async (verb, args) => {
  const { code, modules } = await runCli([verb, ...args]);
  expect(code).toBe(0);
  expect(modules.some((url) => isMain(url))).toBe(true);
  expect(fromSandbox(modules)).toEqual([]);
  expect(bridgePackages(modules)).toEqual([]);
}, 60_000);

it('sandbox loads them when it runs (the recorder sees lazy loads), and a bad catalog is one line', async () => {
  const { code, stderr, modules } = await runCli(['sandbox', '--catalog', join(tmpdir(), 'no-such-catalog.json')]);
  expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: .*no-such-catalog\.json/)]);
  expect(code).toBe(1);
  expect(fromSandbox(modules)).toEqual(expect.arrayContaining([expect.stringMatching(/\/sandbox\/kube\/index\.(ts|js)$/)]));
}, 60_000);

it('fleet loads its verb and no emulator; a bad connection string is one line', async () => {
  const { code, stderr, modules } = await runCli(['fleet', '--hub-connection-string', 'HostName=x']);
  expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: --hub-connection-string is not an IoT Hub connection string/)]);
  expect(code).toBe(1);
  expect(modules.some((url) => /\/translator\/cli\/fleet\.(ts|js)$/.test(url))).toBe(true);
  expect(fromSandbox(modules)).toEqual([]);
}, 60_000);

it('run loads of @kubernetes/client-node only its kubeconfig parser (no generated API or model), and no storage or service SDK', async () => {
  const { code, stderr, modules } = await runCli(['run', '--kubeconfig', join(tmpdir(), 'no-such-kubeconfig'), '--ops-port', '0', '--ops-host', '127.0.0.1', '--manifest', sample]);
  expect(stderr).toMatch(/cannot read the kubeconfig .*no-such-kubeconfig/);
  expect(code).toBe(1);
  expect(modules.some((url) => /\/translator\/cli\/run\.(ts|js)$/.test(url))).toBe(true);
  const clientNode = modules.filter((url) => url.includes('/node_modules/@kubernetes/client-node/'));
  expect(clientNode.map((url) => url.replace(/^.*\/node_modules\//, ''))).toEqual(['@kubernetes/client-node/dist/config_types.js']);
  expect(modules.filter((url) => /\/node_modules\/(@azure\/storage-blob|azure-iothub)\//.test(url))).toEqual([]);
}, 60_000);
