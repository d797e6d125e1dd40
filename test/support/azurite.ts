/**
 * Azurite (the Azure Storage emulator, npm `azurite`) as a blob endpoint for upload tests: a child
 * process on loopback with in-memory storage, the emulator's well-known development account, and
 * container SAS URLs made with @azure/storage-blob as a real owner of a storage account would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BlobServiceClient, ContainerSASPermissions, StorageSharedKeyCredential, generateBlobSASQueryParameters } from '@azure/storage-blob';
import { waitFor } from './wait.js';

/** Azurite's fixed development account (documented, not a secret). */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  /** `http://HOST:PORT/devstoreaccount1` */
  endpoint: string;
  service: BlobServiceClient;
  /** Creates the container and returns a SAS URL that may create and write blobs in it. */
  containerSasUrl(container: string): Promise<string>;
  /** Names and contents of the blobs of a container. */
  blobs(container: string): Promise<Map<string, { data: Buffer; contentType?: string; contentEncoding?: string; blobType?: string }>>;
  stop(): Promise<void>;
}

export async function startAzurite(port: number, host = '127.0.0.1'): Promise<Azurite> {
  const main = join(dirname(createRequire(import.meta.url).resolve('azurite/package.json')), 'dist/src/blob/main.js');
  const child: ChildProcess = spawn(process.execPath, [main, '--blobHost', host, '--blobPort', String(port), '--inMemoryPersistence', '--silent', '--skipApiVersionCheck', '--loose', '--disableProductStyleUrl'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Read its stderr (a pipe nobody reads fills up and stalls the emulator), and say when it ends
  // before stop(): a test that then meets a refused connection knows why.
  let stderr = '';
  let stopping = false;
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`Azurite on ${host}:${port} exited (${code ?? signal}) before stop()${stderr ? `:\n${stderr}` : ''}\n`);
  });
  const endpoint = `http://${host}:${port}/${ACCOUNT}`;
  const credential = new StorageSharedKeyCredential(ACCOUNT, ACCOUNT_KEY);
  const service = new BlobServiceClient(endpoint, credential);
  await waitFor('Azurite to answer', async () => (await service.getProperties()) && true, 30_000);
  return {
    endpoint,
    service,
    async containerSasUrl(container) {
      await service.getContainerClient(container).createIfNotExists();
      const sas = generateBlobSASQueryParameters(
        { containerName: container, permissions: ContainerSASPermissions.parse('racwl'), expiresOn: new Date(Date.now() + 3600_000) },
        credential,
      ).toString();
      return `${endpoint}/${container}?${sas}`;
    },
    async blobs(container) {
      const out = new Map<string, { data: Buffer; contentType?: string; contentEncoding?: string; blobType?: string }>();
      const client = service.getContainerClient(container);
      for await (const item of client.listBlobsFlat()) {
        const data = await client.getBlobClient(item.name).downloadToBuffer();
        out.set(item.name, { data, ...(item.properties.contentType ? { contentType: item.properties.contentType } : {}), ...(item.properties.contentEncoding ? { contentEncoding: item.properties.contentEncoding } : {}), ...(item.properties.blobType ? { blobType: item.properties.blobType } : {}) });
      }
      return out;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
