/**
 * `iotedge-k8s push FILE --hub-connection-string CS --device-id ID [--ca FILE]`: validates a
 * deployment manifest with the project's loader, then sets it on one IoT Edge device with
 * azure-iothub `Registry.applyConfigurationContentOnDevice` (the REST call
 * `applyConfigurationContent`), against a real IoT Hub or the sandbox hub alike.
 *
 * What is pushed is the loader's `content`: the file's `modulesContent` with template
 * placeholders resolved, layers merged and object createOptions serialized and chunked, as the
 * IoT Edge tools' "generate deployment manifest" writes it. Connection strings, keys and SAS
 * tokens never appear in the output.
 */
// azure-iothub is CommonJS: Node's ESM loader (and tsx) only give it as a default export.
import { stat } from 'node:fs/promises';
import iothub from 'azure-iothub';
import { loadManifest, ManifestLoadError, type DeploymentContent } from '../manifest/index.js';
import { manifestFiles } from '../sources/index.js';
import { scrubSecrets, trustHubCa } from '../twin/index.js';
import { PushError } from './errors.js';
import { formatDiagnostic } from './format.js';
import { describeHubError, hubHostOf, readCaPem, withHubTimeout } from './hub-service.js';

const pushError = (message: string) => new PushError(message);

/** Flags of `iotedge-k8s push`. */
export interface PushFlags {
  /** The deployment manifest or deployment template, in any form the loader accepts. */
  file: string;
  /** An IoT Hub connection string with registry write rights (`iothubowner`). Never printed. */
  hubConnectionString: string;
  /** The IoT Edge device to configure. */
  deviceId: string;
  /** PEM file of a CA to trust for the service API (the sandbox hub's `hub-ca.pem`). */
  ca?: string;
  /** Layered deployment files merged onto the base before pushing (as `--layer` in `translate`). */
  layers?: string[];
  /** Longest wait for IoT Hub's answer. @default 60000 */
  timeoutMs?: number;
}

/** Output channels; `main.ts`'s `Io` fits. */
export interface PushIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** A push failure with a message fit for the terminal (no secrets). */
export { PushError };

const { Registry } = iothub;
type Registry = InstanceType<typeof Registry>;

/** What {@link pushContent} sends, and where. */
export interface PushTarget {
  /** An IoT Hub connection string with registry write rights. Never printed. */
  hubConnectionString: string;
  deviceId: string;
  /** `{modulesContent}`, such as a loaded manifest's `content`. */
  content: DeploymentContent;
  /** PEM of a CA to trust for the service API (the sandbox hub's CA). */
  caPem?: string;
  /** Longest wait for IoT Hub's answer. @default 60000 */
  timeoutMs?: number;
}

/**
 * Sets `content` on one device with `Registry.applyConfigurationContentOnDevice`. Resolves when
 * IoT Hub accepted it; rejects with a {@link PushError} whose message names the problem (unknown
 * device, refused credentials, untrusted certificate, unreachable hub, timeout) and no secret.
 */
export async function pushContent(target: PushTarget): Promise<void> {
  if (target.deviceId.trim() === '') throw new PushError('the device id must not be empty');
  const host = hubHostOf(target.hubConnectionString, pushError);
  let registry: Registry;
  try {
    registry = Registry.fromConnectionString(target.hubConnectionString);
  } catch {
    throw new PushError('--hub-connection-string is not a valid IoT Hub connection string');
  }
  if (target.caPem !== undefined) trustHubCa(registry, target.caPem);
  try {
    await withHubTimeout(registry.applyConfigurationContentOnDevice(target.deviceId, target.content), target.timeoutMs ?? 60_000);
  } catch (e) {
    throw new PushError(describeHubError(e, host, 'rejected the deployment', target.deviceId));
  }
}

/** Validates, then pushes. Returns the exit code: 0 pushed, 1 invalid manifest or hub error. */
export async function runPush(flags: PushFlags, io: PushIo): Promise<number> {
  try {
    if (flags.deviceId.trim() === '') throw new PushError('--device-id must not be empty');
    hubHostOf(flags.hubConnectionString, pushError);
    // A folder is read as `run --manifest` reads one: its base and its *.layer.json files.
    const isFolder = await stat(flags.file).then((info) => info.isDirectory(), () => false);
    const files = isFolder ? await manifestFiles(flags.file, flags.layers ?? []) : { base: flags.file, layers: flags.layers ?? [] };
    const result = await loadManifest(files.base, files.layers.length > 0 ? { layers: files.layers } : {});
    for (const d of result.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
    if (result.model === undefined || result.content === undefined) {
      io.stderr(`${flags.file} is not a valid deployment; nothing was pushed\n`);
      return 1;
    }
    const caPem = flags.ca === undefined ? undefined : await readCaPem(flags.ca, pushError);
    await pushContent({
      hubConnectionString: flags.hubConnectionString,
      deviceId: flags.deviceId,
      content: result.content,
      ...(caPem !== undefined ? { caPem } : {}),
      ...(flags.timeoutMs !== undefined ? { timeoutMs: flags.timeoutMs } : {}),
    });
    const twins = Object.keys(result.content.modulesContent).join(', ');
    io.stdout(`pushed ${files.base} to device ${flags.deviceId} on ${hubHostOf(flags.hubConnectionString, pushError)} (${twins})\n`);
    return 0;
  } catch (e) {
    if (e instanceof PushError || e instanceof ManifestLoadError) {
      io.stderr(`error: ${e.message}\n`);
      return 1;
    }
    io.stderr(`error: push failed unexpectedly: ${scrubSecrets(e instanceof Error ? e.message : String(e))}\n`);
    return 1;
  }
}
