import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../golden/samples.js';
import { binPath as bin, ensureBuilt } from '../../support/build.js';
import { waitFor } from '../../support/wait.js';

beforeAll(() => ensureBuilt(), 180_000);

describe('iotedge-k8s sandbox', () => {
  it('writes kubeconfig and hub.json, serves kubectl, and stops cleanly on SIGTERM', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-sandbox-'));
    const child = spawn(process.execPath, [bin, 'sandbox', '--state-dir', stateDir, '--service-host', '127.0.0.9'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor('hub.json', () => (existsSync(join(stateDir, 'hub.json')) || child.exitCode !== null ? true : undefined));
      expect(child.exitCode).toBeNull();
      expect(out).toContain('kubectl --kubeconfig');
      const hub = JSON.parse(readFileSync(join(stateDir, 'hub.json'), 'utf8'));
      expect(Object.keys(hub).sort()).toEqual(['caFile', 'deviceConnectionString', 'deviceId', 'edgeAgentConnectionString', 'gatewayHostName', 'serviceConnectionString']);
      expect(hub.gatewayHostName).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(hub.deviceConnectionString).toMatch(new RegExp(`^HostName=127\\.0\\.0\\.9;DeviceId=${hub.deviceId};SharedAccessKey=[A-Za-z0-9+/]+=*;GatewayHostName=${hub.gatewayHostName}$`));
      expect(hub.serviceConnectionString).toMatch(/HostName=127\.0\.0\.9;SharedAccessKeyName=iothubowner;SharedAccessKey=/);
      expect(hub.edgeAgentConnectionString).toMatch(/ModuleId=\$edgeAgent/);
      const { stdout } = await promisify(execFile)('kubectl', ['--kubeconfig', join(stateDir, 'kubeconfig'), 'get', 'namespaces', '-o', 'name']);
      expect(stdout.split('\n')).toContain('namespace/default');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toContain('Stopping the sandbox.');
  }, 60000);

  it('run --sandbox --manifest pushes the manifest through the sandbox hub and reports it running (npm start: test/e2e/npm-start.test.ts)', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-start-'));
    const args = [bin, 'run', '--sandbox', '--manifest', join(repoRoot, 'deployment-manifests', 'webserver.json'), '--state-dir', stateDir, '--ops-port', '0'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor('webserverapp running', () => (/module webserverapp: running/.test(out) || child.exitCode !== null ? true : undefined), 40000);
      expect(out).toContain("Pushed ");
      expect(out).toMatch(/module webserverapp: running \(restarts 0\) at 127\.102\.0\.\d+:8080/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60000);
});
