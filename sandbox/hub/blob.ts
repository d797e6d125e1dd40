/**
 * The sandbox's blob endpoint: Azurite (the Azure Storage emulator, npm package `azurite`) run as
 * a child process on a loopback address, with one container created for uploads and a container
 * SAS URL for it, signed with Azurite's well-known development account key (the same key every
 * Azurite installation uses; documented by Microsoft, no secret). The SAS is what
 * `UploadModuleLogs` / `UploadSupportBundle` callers put in `sasUrl`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient, ContainerSASPermissions, generateBlobSASQueryParameters, SASProtocol, StorageSharedKeyCredential } from '@azure/storage-blob';

/** Azurite's development storage account and its well-known key. */
export const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Options of {@link startBlobEmulator}. */
export interface BlobEmulatorOptions {
  /** Loopback address to listen on. @default '127.0.0.1' */
  host?: string;
  /** Port; 0 picks a free one. When a fixed port is taken, a free one is used instead. @default 0 */
  port?: number;
  /** Where Azurite keeps its data; without it, data lives in memory. */
  location?: string;
  /** Container created for uploads. @default 'uploads' */
  container?: string;
  /** Longest wait for Azurite to listen. @default 30000 */
  startTimeoutMs?: number;
}

/** A running Azurite blob service. */
export interface BlobEmulator {
  /** Blob service URL of the development account (`http://127.0.0.1:PORT/devstoreaccount1`). */
  serviceUrl: string;
  /** The upload container. */
  container: string;
  /** Container SAS URL (read, add, create, write, delete, list; valid 30 days). */
  containerSasUrl: string;
  /** Stops Azurite. */
  stop(): Promise<void>;
}

/** Azurite could not start (not installed, address in use, ...). */
export class BlobEmulatorError extends Error {
  override readonly name = 'BlobEmulatorError';
}

const SAS_DAYS = 30;

function azuriteBlobMain(): string {
  try {
    return createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js');
  } catch {
    throw new BlobEmulatorError('the azurite package is not installed (npm install azurite)');
  }
}

/** Spawns Azurite's blob service; resolves with the process and the URL it listens on. */
function launch(host: string, port: number, location: string | undefined, timeoutMs: number): Promise<{ child: ChildProcess; url: string }> {
  // Azurite ends when its stdin closes, that is when this process ends, even by SIGKILL; then
  // its own SIGTERM handler shuts the server down. Azurite then waits for its event loop to
  // drain, so the watched stdin is let go on SIGTERM: otherwise it alone keeps Azurite alive
  // until stopChild's SIGKILL, 5 s later. `azurite-blob` stands in for the script path in argv,
  // which Azurite's argument parser skips.
  const watchdog = `process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM')).resume(); process.once('SIGTERM', () => process.stdin.destroy()); require(${JSON.stringify(azuriteBlobMain())});`;
  const args = ['-e', watchdog, 'azurite-blob', '--blobHost', host, '--blobPort', String(port), '--silent', '--skipApiVersionCheck', '--disableTelemetry'];
  args.push(...(location ? ['--location', location] : ['--inMemoryPersistence']));
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: location ?? tmpdir() });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => finish(new BlobEmulatorError(`Azurite did not start listening within ${timeoutMs} ms`)), timeoutMs);
    const finish = (error: Error | undefined, url?: string): void => {
      clearTimeout(timer);
      child.stdout?.removeAllListeners('data');
      child.removeAllListeners('exit');
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else resolve({ child, url: url! });
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /successfully listens on (http:\/\/\S+)/.exec(out);
      if (m) finish(undefined, m[1]!);
    });
    child.stderr?.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-2000)));
    child.on('error', (e) => finish(new BlobEmulatorError(`cannot run Azurite: ${e.message}`)));
    child.on('exit', (code) => {
      const reason = /EADDRINUSE/.test(err) ? 'EADDRINUSE' : err.trim().split('\n').pop() || `exit code ${code}`;
      finish(new BlobEmulatorError(`Azurite stopped at start on ${host}:${port}: ${reason}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Container SAS URL for `container` under the development account at `serviceUrl`. Pure. */
export function containerSasUrl(serviceUrl: string, container: string, now = new Date()): string {
  const credential = new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_ACCOUNT_KEY);
  const sas = generateBlobSASQueryParameters(
    {
      containerName: container,
      permissions: ContainerSASPermissions.parse('racwdl'),
      startsOn: new Date(now.getTime() - 5 * 60_000),
      expiresOn: new Date(now.getTime() + SAS_DAYS * 86_400_000),
      protocol: SASProtocol.HttpsAndHttp,
    },
    credential,
  );
  return `${serviceUrl}/${container}?${sas.toString()}`;
}

/** Starts Azurite's blob service and creates the upload container. */
export async function startBlobEmulator(options: BlobEmulatorOptions = {}): Promise<BlobEmulator> {
  const host = options.host ?? '127.0.0.1';
  const container = options.container ?? 'uploads';
  const timeout = options.startTimeoutMs ?? 30_000;
  if (options.location) mkdirSync(options.location, { recursive: true });
  let started: { child: ChildProcess; url: string };
  try {
    started = await launch(host, options.port ?? 0, options.location, timeout);
  } catch (e) {
    if (!(e instanceof BlobEmulatorError && e.message.endsWith('EADDRINUSE') && options.port)) throw e;
    started = await launch(host, 0, options.location, timeout);
  }
  const { child, url } = started;
  const serviceUrl = `${url.replace(/\/$/, '')}/${DEV_ACCOUNT}`;
  try {
    const service = new BlobServiceClient(serviceUrl, new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_ACCOUNT_KEY));
    await service.getContainerClient(container).createIfNotExists();
  } catch (e) {
    await stopChild(child);
    throw new BlobEmulatorError(`Azurite started but the container '${container}' could not be created: ${(e as Error).message}`);
  }
  return { serviceUrl, container, containerSasUrl: containerSasUrl(serviceUrl, container), stop: () => stopChild(child) };
}

/** Where Azurite keeps its data inside a sandbox state directory. */
export function azuriteLocation(stateDir: string): string {
  return join(stateDir, 'azurite');
}
