/**
 * What the verbs that talk to IoT Hub's service API (`push`, `fleet`) share: the hub's host name
 * from a policy connection string, the `--ca` file, a deadline for each call, and one line that
 * names why IoT Hub failed, with no secret in it. Each verb passes its own error class.
 */
import { readFile } from 'node:fs/promises';
import { scrubSecrets } from '../twin/index.js';

/** Makes the verb's own error (PushError, FleetError) from a message. */
export type VerbError = (message: string) => Error;

/** IoT Hub did not answer within the verb's deadline. */
class HubTimeout extends Error {}

/** The HostName of an IoT Hub connection string that carries a SharedAccessKey. */
export function hubHostOf(connectionString: string, fail: VerbError): string {
  const m = /(?:^|;)\s*HostName=([^;]+)/i.exec(connectionString);
  if (!m || !/(?:^|;)\s*SharedAccessKey=[^;]+/i.test(connectionString)) {
    throw fail('--hub-connection-string is not an IoT Hub connection string (expected HostName=...;SharedAccessKeyName=...;SharedAccessKey=...)');
  }
  return m[1]!.trim();
}

/** The PEM of `--ca FILE`. */
export async function readCaPem(path: string, fail: VerbError): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (e) {
    throw fail(`cannot read --ca ${path} (${(e as NodeJS.ErrnoException).code ?? 'read error'})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw fail(`--ca ${path} is not a PEM certificate`);
  return pem;
}

/** Whether `e` is the timeout of {@link withHubTimeout}. */
export function isHubTimeout(e: unknown): boolean {
  return e instanceof HubTimeout;
}

/** Resolves or rejects as `promise` does, or rejects with a timeout that {@link describeHubError} names. */
export function withHubTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HubTimeout(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One line for a failed IoT Hub call: `refused` says what IoT Hub did otherwise ("rejected the
 * deployment"); with `deviceId`, a 404 names the device.
 */
export function describeHubError(e: unknown, host: string, refused: string, deviceId?: string): string {
  const err = e as { code?: string; message?: string; response?: { statusCode?: number } };
  const name = e instanceof Error ? e.constructor.name : '';
  const status = err.response?.statusCode;
  const code = err.code ?? '';
  if (deviceId !== undefined && (name === 'DeviceNotFoundError' || status === 404)) return `device '${deviceId}' was not found in IoT Hub ${host}`;
  if (name === 'UnauthorizedError' || status === 401) return `IoT Hub ${host} refused the credentials of the connection string`;
  if (e instanceof HubTimeout || name === 'TimeoutError') return `IoT Hub ${host} did not answer in time`;
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) return `cannot verify the TLS certificate of ${host} (${code}); pass the hub's CA with --ca FILE`;
  if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET)$/.test(code)) return `cannot reach IoT Hub at ${host} (${code})`;
  const detail = scrubSecrets(err.message ?? String(e)).split('\n')[0];
  return `IoT Hub ${host} ${refused}${status ? ` (HTTP ${status})` : ''}: ${detail}`;
}
