/**
 * UploadModuleLogs and UploadSupportBundle: parsing of their payloads and the upload to Azure
 * Blob storage through a container SAS URL (@azure/storage-blob). Blob names follow edgeAgent's
 * AzureBlobRequestsUploader (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.IoTHub/
 * blob/AzureBlobRequestsUploader.cs): `<iotHubHostName>/<deviceId>/<id>-<yyyy-MM-dd--HH-mm-ss>.<ext>`,
 * with ext `json`, `log`, `json.gz` or `log.gz` for logs and `zip` for a support bundle. Text logs
 * are an append blob, json logs and bundles block blobs, as edgeAgent writes them.
 */
import { gzipSync } from 'node:zlib';
import type { ContainerClient } from '@azure/storage-blob';
import { isObject } from '../shared/index.js';
import { newestPod } from '../status/index.js';
import type { DeviceCluster } from './cluster.js';
import { encodeLogs, filterLines, parseKubeletLog, type LogSource } from './logs.js';
import { MethodError, checkSchemaVersion, parseGetModuleLogs, parseLogTime, type GetModuleLogsRequest } from './requests.js';

/** A parsed UploadModuleLogs request: GetModuleLogs' fields and the container SAS URL. */
export interface UploadModuleLogsRequest extends GetModuleLogsRequest {
  sasUrl: string;
}

/** A parsed UploadSupportBundle request. */
export interface UploadSupportBundleRequest {
  schemaVersion: string;
  sasUrl: string;
  since?: Date;
  until?: Date;
  edgeRuntimeOnly: boolean;
}

function sasUrlOf(payload: unknown, method: string): string {
  if (!isObject(payload)) throw new MethodError(400, `${method}: the payload must be a JSON object with 'sasUrl'`);
  const sasUrl = payload.sasUrl;
  if (typeof sasUrl !== 'string' || sasUrl.trim() === '') throw new MethodError(400, `${method}: 'sasUrl' must be a container SAS URL (https://ACCOUNT.blob.core.windows.net/CONTAINER?sv=...&sig=...)`);
  return sasUrl;
}

/** Parses an UploadModuleLogs payload (GetModuleLogs' fields plus `sasUrl`). */
export function parseUploadModuleLogs(payload: unknown, now: Date): UploadModuleLogsRequest {
  const sasUrl = sasUrlOf(payload, 'UploadModuleLogs');
  try {
    return { ...parseGetModuleLogs(payload, now), sasUrl };
  } catch (e) {
    if (e instanceof MethodError) throw new MethodError(e.status, e.message.replace(/^GetModuleLogs:/, 'UploadModuleLogs:'));
    throw e;
  }
}

/** Parses an UploadSupportBundle payload `{schemaVersion, sasUrl, since?, until?, edgeRuntimeOnly?}`. */
export function parseUploadSupportBundle(payload: unknown, now: Date): UploadSupportBundleRequest {
  const sasUrl = sasUrlOf(payload, 'UploadSupportBundle');
  const p = payload as Record<string, unknown>;
  const schemaVersion = checkSchemaVersion(p, 'UploadSupportBundle');
  const time = (key: 'since' | 'until'): Date | undefined => {
    if (p[key] === undefined || p[key] === null) return undefined;
    try {
      return parseLogTime(p[key], key, now);
    } catch (e) {
      throw new MethodError(400, (e as Error).message.replace(/^GetModuleLogs:/, 'UploadSupportBundle:'));
    }
  };
  const edgeRuntimeOnly = p.edgeRuntimeOnly ?? false;
  if (typeof edgeRuntimeOnly !== 'boolean') throw new MethodError(400, `UploadSupportBundle: 'edgeRuntimeOnly' must be true or false`);
  const since = time('since');
  const until = time('until');
  return { schemaVersion, sasUrl, ...(since ? { since } : {}), ...(until ? { until } : {}), edgeRuntimeOnly };
}

/** `yyyy-MM-dd--HH-mm-ss` in UTC, as edgeAgent stamps blob names. */
function blobStamp(at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${at.getUTCFullYear()}-${p(at.getUTCMonth() + 1)}-${p(at.getUTCDate())}--${p(at.getUTCHours())}-${p(at.getUTCMinutes())}-${p(at.getUTCSeconds())}`;
}

/** The blob name edgeAgent gives an upload. */
export function blobName(iotHub: string, deviceId: string, id: string, extension: string, at: Date): string {
  return `${iotHub}/${deviceId}/${id}-${blobStamp(at)}.${extension}`;
}

/** Extension of a logs blob by encoding and content type. */
export function logsExtension(encoding: 'gzip' | 'none', contentType: 'json' | 'text'): string {
  return `${contentType === 'json' ? 'json' : 'log'}${encoding === 'gzip' ? '.gz' : ''}`;
}

/** One blob to write. */
export interface BlobUpload {
  name: string;
  data: Buffer;
  contentType: string;
  contentEncoding?: string;
  /**
   * `append` for text logs, as edgeAgent writes them (an append blob the lines are appended to),
   * `block` (the default) for json logs and support bundles.
   */
  blobType?: 'block' | 'append';
}

/** Largest block of one Append Block call (4 MiB: the limit of every service version). */
export const APPEND_BLOCK_BYTES = 4 * 1024 * 1024;

/** Writes one blob into the container of a SAS URL: a block blob, or an append blob filled in blocks. */
export async function uploadBlob(sasUrl: string, blob: BlobUpload, signal?: AbortSignal): Promise<void> {
  // Loaded on the first upload: the bridge starts (and mostly runs) without the storage SDK.
  const { AnonymousCredential, ContainerClient, newPipeline } = await import('@azure/storage-blob');
  let container: ContainerClient;
  try {
    // edgeAgent retries an upload twice (AzureBlobRequestsUploader's RetryCount).
    container = new ContainerClient(sasUrl, newPipeline(new AnonymousCredential(), { retryOptions: { maxTries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 2000 } }));
  } catch (e) {
    throw new Error('sasUrl is not a container URL', { cause: e });
  }
  const blobHTTPHeaders = { blobContentType: blob.contentType, ...(blob.contentEncoding ? { blobContentEncoding: blob.contentEncoding } : {}) };
  const abort = signal ? { abortSignal: signal } : {};
  try {
    if (blob.blobType === 'append') {
      const append = container.getAppendBlobClient(blob.name);
      await append.create({ blobHTTPHeaders, ...abort });
      for (let at = 0; at < blob.data.length; at += APPEND_BLOCK_BYTES) {
        const block = blob.data.subarray(at, at + APPEND_BLOCK_BYTES);
        await append.appendBlock(block, block.length, abort);
      }
    } else {
      await container.getBlockBlobClient(blob.name).uploadData(blob.data, { blobHTTPHeaders, ...abort });
    }
  } catch (e) {
    const err = e as { statusCode?: number; code?: string; message?: string };
    const detail = err.code ?? (err.message ?? String(e)).split('\n')[0];
    throw new Error(`blob storage refused the upload of ${blob.name}${err.statusCode ? ` (HTTP ${err.statusCode})` : ''}: ${detail}`, { cause: e });
  }
}

/** The blobs of an UploadModuleLogs request: one per module that matches, read from its newest pod. */
export async function moduleLogBlobs(cluster: DeviceCluster, request: GetModuleLogsRequest, source: LogSource, at: Date): Promise<BlobUpload[]> {
  const pods = await cluster.podsByModule();
  const blobs: BlobUpload[] = [];
  for (const moduleId of [...pods.keys()].sort()) {
    const item = request.items.find((i) => i.id.test(moduleId));
    const pod = item && newestPod(pods.get(moduleId) ?? []);
    if (!item || !pod) continue;
    const raw = (await cluster.podLog(pod, item.filter.since ? { since: item.filter.since } : {})) ?? '';
    const lines = filterLines(parseKubeletLog(raw), item.filter);
    // The content as GetModuleLogs would answer it unencoded (text, or the JSON text of edgeAgent's messages).
    const plain = Buffer.from(encodeLogs(moduleId, lines, { encoding: 'none', contentType: request.contentType }, source).item.payload ?? '', 'utf8');
    blobs.push({
      name: blobName(source.iotHub, source.deviceId, moduleId, logsExtension(request.encoding, request.contentType), at),
      data: request.encoding === 'gzip' ? gzipSync(plain) : plain,
      contentType: request.contentType === 'json' ? 'application/json' : 'text/plain',
      ...(request.encoding === 'gzip' ? { contentEncoding: 'gzip' } : {}),
      // edgeAgent uploads json logs in one piece (a block blob) and streams text logs into an append blob
      // (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/requests/ModuleLogsUploadRequestHandler.cs).
      blobType: request.contentType === 'text' ? 'append' : 'block',
    });
  }
  return blobs;
}
