import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AnonymousCredential, ContainerClient } from '@azure/storage-blob';
import { repoRoot } from '../../golden/samples.js';
import { binPath as bin, ensureBuilt } from '../../support/build.js';
import { waitFor } from '../../support/wait.js';

beforeAll(() => ensureBuilt(), 180_000);

describe('iotedge-k8s sandbox', () => {
  it('writes kubeconfig and hub.json, serves kubectl, and stops cleanly on SIGTERM', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-sandbox-'));
    let blobUrl: string | undefined;
    const child = spawn(process.execPath, [bin, 'sandbox', '--state-dir', stateDir, '--service-host', '127.0.0.9'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // hub.json is written before the sandbox prints its summary: wait for both (or an exit).
      await waitFor('hub.json and the summary', () => ((existsSync(join(stateDir, 'hub.json')) && out.includes('Blob storage:')) || child.exitCode !== null ? true : undefined));
      expect(child.exitCode).toBeNull();
      expect(out).toContain('kubectl --kubeconfig');
      const hub = JSON.parse(readFileSync(join(stateDir, 'hub.json'), 'utf8'));
      expect(Object.keys(hub).sort()).toEqual(['blobContainerSasUrl', 'caFile', 'deviceConnectionString', 'deviceId', 'edgeAgentConnectionString', 'gatewayHostName', 'serviceConnectionString']);
      expect(hub.gatewayHostName).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(hub.deviceConnectionString).toMatch(new RegExp(`^HostName=127\\.0\\.0\\.9;DeviceId=${hub.deviceId};SharedAccessKey=[A-Za-z0-9+/]+=*;GatewayHostName=${hub.gatewayHostName}$`));
      expect(out).toContain('Blob storage:    http://127.0.0.9:10000/devstoreaccount1 (Azurite)');
      const uploads = new ContainerClient(hub.blobContainerSasUrl);
      await uploads.getBlockBlobClient('hello.txt').upload('hello', 5);
      expect((await uploads.getBlobClient('hello.txt').downloadToBuffer()).toString()).toBe('hello');
      blobUrl = hub.blobContainerSasUrl;
      expect(hub.serviceConnectionString).toMatch(/HostName=127\.0\.0\.9;SharedAccessKeyName=iothubowner;SharedAccessKey=/);
      expect(hub.edgeAgentConnectionString).toMatch(/ModuleId=\$edgeAgent/);
      const { stdout } = await promisify(execFile)('kubectl', ['--kubeconfig', join(stateDir, 'kubeconfig'), 'get', 'namespaces', '-o', 'name']);
      expect(stdout.split('\n')).toContain('namespace/default');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toContain('Stopping the sandbox.');
    // Azurite stopped with the sandbox.
    await expect(new ContainerClient(blobUrl!, new AnonymousCredential(), { retryOptions: { maxTries: 1 } }).exists()).rejects.toThrow();
  }, 60000);

  it('a SIGKILLed sandbox leaves no Azurite behind', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-sandbox-kill-'));
    const child = spawn(process.execPath, [bin, 'sandbox', '--state-dir', stateDir, '--service-host', '127.0.0.10'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    let sasUrl: string;
    try {
      await waitFor('hub.json', () => (existsSync(join(stateDir, 'hub.json')) || child.exitCode !== null ? true : undefined));
      sasUrl = JSON.parse(readFileSync(join(stateDir, 'hub.json'), 'utf8')).blobContainerSasUrl;
      expect((await new ContainerClient(sasUrl).listBlobsFlat().next()).done).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
    await exited;
    await waitFor(
      'Azurite gone',
      () =>
        new ContainerClient(sasUrl, new AnonymousCredential(), { retryOptions: { maxTries: 1 } }).listBlobsFlat().next().then(
          () => undefined,
          () => true,
        ),
      10_000,
    );
  }, 60000);

  it('run --sandbox --manifest pushes the manifest through the sandbox hub and reports it running; --blob-storage adds Azurite and blobContainerSasUrl (npm start: test/e2e/npm-start.test.ts)', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-start-'));
    const args = [bin, 'run', '--sandbox', '--blob-storage', '--manifest', join(repoRoot, 'deployment-manifests', 'webserver.json'), '--state-dir', stateDir, '--ops-port', '0'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor('webserverapp running', () => (/module webserverapp: running/.test(out) || child.exitCode !== null ? true : undefined), 40000);
      expect(out).toContain("Pushed ");
      // The load-balancer pool of this sandbox's loopback slot (127.102.0.x for the first one; docs/sandbox-kube.md).
      expect(out).toMatch(/module webserverapp: running \(restarts 0\) at 127\.\d{1,3}\.0\.\d+:8080/);
      // The blob endpoint an UploadModuleLogs or `support-bundle --sas-url` can target.
      const hub = JSON.parse(readFileSync(join(stateDir, 'hub.json'), 'utf8'));
      expect(out).toContain(`Sandbox: blob storage http://${new URL(hub.blobContainerSasUrl).host}/devstoreaccount1 (Azurite), container 'uploads'`);
      const uploads = new ContainerClient(hub.blobContainerSasUrl);
      await uploads.getBlockBlobClient('hello.txt').upload('hello', 5);
      expect((await uploads.getBlobClient('hello.txt').downloadToBuffer()).toString()).toBe('hello');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60000);

  describe('unusable choices are one line and exit 1, and never touch a running sandbox', () => {
    /** Runs the CLI to its end (or kills it after `limitMs`): exit code and output. */
    async function runCli(args: string[], limitMs = 30_000): Promise<{ code: number | null; stderr: string; stdout: string }> {
      const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      clearTimeout(timer);
      return { code, stderr, stdout };
    }

    const oneLineError = (stderr: string, text: RegExp) => {
      expect(stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
      expect(stderr).toMatch(text);
      expect(stderr).not.toMatch(/internal error|\n\s+at /);
    };

    it.each([
      ['/proc/forbidden', /^error: cannot use the state directory \/proc\/forbidden: /],
      ['/proc/self/nope/deeper', /^error: cannot use the state directory \/proc\/self\/nope\/deeper: /],
    ])('--state-dir %s', async (dir, text) => {
      const { code, stderr } = await runCli(['sandbox', '--state-dir', dir]);
      expect(code).toBe(1);
      oneLineError(stderr, text);
    }, 40_000);

    it('a file given as --state-dir', async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'iotedge-k8s-file-')), 'plain');
      writeFileSync(file, 'x');
      const { code, stderr } = await runCli(['sandbox', '--state-dir', file]);
      expect(code).toBe(1);
      oneLineError(stderr, /is not a directory/);
    }, 40_000);

    it('a taken --kube-port or --mqtt-port, and a --service-host that is not loopback', async () => {
      const server: Server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const taken = String((server.address() as { port: number }).port);
      const stateDir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-ports-'));
      try {
        const kube = await runCli(['sandbox', '--state-dir', stateDir, '--kube-port', taken]);
        expect(kube.code).toBe(1);
        oneLineError(kube.stderr, new RegExp(`--kube-port ${taken}: 127\\.0\\.0\\.1:${taken} is already in use`));
        const mqtt = await runCli(['sandbox', '--state-dir', stateDir, '--mqtt-port', taken]);
        expect(mqtt.code).toBe(1);
        oneLineError(mqtt.stderr, new RegExp(`--mqtt-port ${taken}: .* already in use`));
      } finally {
        server.close();
      }
      const host = await runCli(['sandbox', '--state-dir', stateDir, '--service-host', '10.1.2.3']);
      expect(host.code).toBe(1);
      oneLineError(host.stderr, /--service-host '10\.1\.2\.3' must be an IPv4 loopback address/);
      expect(existsSync(join(stateDir, 'kubeconfig'))).toBe(false);
    }, 90_000);

    it('a second sandbox: refused on the same state dir without rewriting its kubeconfig; moves to a free service address otherwise', async () => {
      const first = mkdtempSync(join(tmpdir(), 'iotedge-k8s-first-'));
      const child = spawn(process.execPath, [bin, 'sandbox', '--state-dir', first], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        await waitFor('first sandbox', () => (out.includes('Ctrl-C stops it') || child.exitCode !== null ? true : undefined), 40_000);
        expect(out).toContain('service 127.0.0.2:443');
        const kubeconfig = readFileSync(join(first, 'kubeconfig'), 'utf8');
        const hubJson = readFileSync(join(first, 'hub.json'), 'utf8');

        const same = await runCli(['sandbox', '--state-dir', first]);
        expect(same.code).toBe(1);
        oneLineError(same.stderr, new RegExp(`state directory ${first.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another sandbox \\(pid ${child.pid}\\)`));
        expect(readFileSync(join(first, 'kubeconfig'), 'utf8')).toBe(kubeconfig);
        expect(readFileSync(join(first, 'hub.json'), 'utf8')).toBe(hubJson);

        const second = mkdtempSync(join(tmpdir(), 'iotedge-k8s-second-'));
        const explicit = await runCli(['sandbox', '--state-dir', second, '--service-host', '127.0.0.2']);
        expect(explicit.code).toBe(1);
        oneLineError(explicit.stderr, /--service-host 127\.0\.0\.2: port 443 there is already in use/);
        expect(existsSync(join(second, 'kubeconfig'))).toBe(false);

        const other = spawn(process.execPath, [bin, 'sandbox', '--state-dir', second], { stdio: ['ignore', 'pipe', 'pipe'] });
        let otherOut = '';
        other.stdout.on('data', (d) => (otherOut += d));
        other.stderr.on('data', (d) => (otherOut += d));
        const otherExited = new Promise<number | null>((resolve) => other.on('exit', (code) => resolve(code)));
        try {
          await waitFor('second sandbox', () => (otherOut.includes('Ctrl-C stops it') || other.exitCode !== null ? true : undefined), 40_000);
          expect(otherOut).toContain('127.0.0.2:443 is taken (another sandbox?), using 127.0.0.3:443');
          expect(JSON.parse(readFileSync(join(second, 'hub.json'), 'utf8')).serviceConnectionString).toMatch(/HostName=127\.0\.0\.3;/);
        } finally {
          other.kill('SIGINT');
        }
        expect(await otherExited).toBe(0);
        expect(readFileSync(join(first, 'kubeconfig'), 'utf8')).toBe(kubeconfig);
      } finally {
        child.kill('SIGINT');
      }
      expect(await exited).toBe(0);
      expect(existsSync(join(first, 'sandbox.lock'))).toBe(false);
    }, 180_000);
  });
});
