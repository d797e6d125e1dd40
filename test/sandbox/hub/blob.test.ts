/**
 * The sandbox's blob endpoint: Azurite started by the hub emulator, a container SAS URL in
 * hub.json that @azure/storage-blob can upload to and read back from.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnonymousCredential, ContainerClient } from '@azure/storage-blob';
import { startBlobEmulator, startHubEmulator, type BlobEmulator } from '../../../sandbox/hub/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-blob-'));
  dirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function text(body: NodeJS.ReadableStream | undefined): Promise<string> {
  let out = '';
  for await (const chunk of body!) out += chunk.toString();
  return out;
}

describe('Azurite as the sandbox blob endpoint', () => {
  test('hub.json names a container SAS URL that takes an upload and gives it back', async () => {
    const stateDir = tempDir();
    const hub = await startHubEmulator({ stateDir, serviceHost: '127.0.0.42', blobStorage: true });
    try {
      const hubJson = JSON.parse(readFileSync(join(stateDir, 'hub.json'), 'utf8')) as { blobContainerSasUrl?: string };
      const sasUrl = hubJson.blobContainerSasUrl!;
      expect(sasUrl).toBe(hub.blob?.containerSasUrl);
      expect(sasUrl).toMatch(/^http:\/\/127\.0\.0\.42:10000\/devstoreaccount1\/uploads\?.*sig=/);

      const container = new ContainerClient(sasUrl);
      await container.getBlockBlobClient('edge-device/edgeAgent.log').upload('line 1\nline 2\n', 14);
      const names: string[] = [];
      for await (const item of container.listBlobsFlat()) names.push(item.name);
      expect(names).toEqual(['edge-device/edgeAgent.log']);
      const download = await container.getBlobClient('edge-device/edgeAgent.log').download();
      expect(await text(download.readableStreamBody)).toBe('line 1\nline 2\n');

      // A tampered signature is refused by Azurite.
      const forged = new ContainerClient(sasUrl.replace(/sig=[^&]+/, 'sig=AAAA'));
      await expect(forged.getBlockBlobClient('x').upload('x', 1)).rejects.toMatchObject({ statusCode: 403 });
    } finally {
      await hub.stop();
    }
    // Stopped with the hub: nothing answers any more.
    await expect(new ContainerClient(hub.blob!.containerSasUrl, new AnonymousCredential(), { retryOptions: { maxTries: 1 } }).exists()).rejects.toThrow();
  }, 60_000);

  test('stop() ends Azurite at once through its own SIGTERM shutdown (not the SIGKILL 5 s later), and what it kept stays', async () => {
    const location = tempDir();
    const blob = await startBlobEmulator({ port: 10002, location });
    await new ContainerClient(blob.containerSasUrl).getBlockBlobClient('kept.txt').upload('kept', 4);
    const started = Date.now();
    await blob.stop();
    expect(Date.now() - started).toBeLessThan(2_500);
    const again = await startBlobEmulator({ port: 10002, location });
    try {
      expect((await new ContainerClient(again.containerSasUrl).getBlobClient('kept.txt').downloadToBuffer()).toString()).toBe('kept');
    } finally {
      await again.stop();
    }
  }, 60_000);

  test('without blobStorage the hub starts no Azurite and hub.json has no blob URL', async () => {
    const stateDir = tempDir();
    const hub = await startHubEmulator({ stateDir, serviceHost: '127.0.0.43' });
    try {
      expect(hub.blob).toBeUndefined();
      expect(JSON.parse(readFileSync(join(stateDir, 'hub.json'), 'utf8'))).not.toHaveProperty('blobContainerSasUrl');
    } finally {
      await hub.stop();
    }
  });

  test('a taken fixed port falls back to a free one; data persists under the location', async () => {
    const location = tempDir();
    const first: BlobEmulator = await startBlobEmulator({ port: 10001, location });
    let second: BlobEmulator | undefined;
    try {
      second = await startBlobEmulator({ port: 10001 });
      expect(first.serviceUrl).toBe('http://127.0.0.1:10001/devstoreaccount1');
      expect(second.serviceUrl).not.toBe(first.serviceUrl);
      await new ContainerClient(first.containerSasUrl).getBlockBlobClient('kept.txt').upload('kept', 4);
    } finally {
      await second?.stop();
      await first.stop();
    }
    const again = await startBlobEmulator({ location });
    try {
      const download = await new ContainerClient(again.containerSasUrl).getBlobClient('kept.txt').download();
      expect(await text(download.readableStreamBody)).toBe('kept');
    } finally {
      await again.stop();
    }
  }, 60_000);
});
