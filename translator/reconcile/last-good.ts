/**
 * The last good deployment, kept in the namespace as a Secret (the manifest may hold registry
 * passwords) so a bridge restarted without IoT Hub connectivity keeps running it.
 * Data: `deployment` = base64(gzip(JSON {version, manifest})). Its content is never logged.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { MANAGED_BY, MANAGED_BY_LABEL, type KubeObject } from '../translate/index.js';

/** Name of the Secret. */
export const LAST_GOOD_SECRET = 'iotedge-k8s-last-good';
/** Key of the Secret's data. */
export const LAST_GOOD_KEY = 'deployment';
/** Component label of the Secret; it has no device label, so pruning never selects it. */
export const COMPONENT_LABEL = 'app.kubernetes.io/component';

/** What is stored. */
export interface LastGood {
  version: number;
  manifest: unknown;
}

/** The stored data could not be read back. */
export class LastGoodError extends Error {
  override readonly name = 'LastGoodError';
}

/** base64(gzip(JSON)) of the value. */
export function encodeLastGood(value: LastGood): string {
  return gzipSync(Buffer.from(JSON.stringify({ version: value.version, manifest: value.manifest }), 'utf8')).toString('base64');
}

/** Inverse of {@link encodeLastGood}; throws LastGoodError (without echoing the content) when malformed. */
export function decodeLastGood(data: string): LastGood {
  let parsed: unknown;
  try {
    parsed = JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8'));
  } catch (error) {
    throw new LastGoodError(`Secret ${LAST_GOOD_SECRET} key '${LAST_GOOD_KEY}' is not gzip+base64 JSON (${(error as Error).name})`);
  }
  const record = parsed as Partial<LastGood> | null;
  if (record === null || typeof record !== 'object' || typeof record.version !== 'number' || !Number.isFinite(record.version) || !('manifest' in record))
    throw new LastGoodError(`Secret ${LAST_GOOD_SECRET} key '${LAST_GOOD_KEY}' must hold {version: number, manifest}`);
  return { version: record.version, manifest: record.manifest };
}

/** The Secret holding the value. */
export function lastGoodSecret(namespace: string, value: LastGood): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: LAST_GOOD_SECRET,
      namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [COMPONENT_LABEL]: 'last-good-deployment' },
    },
    type: 'Opaque',
    data: { [LAST_GOOD_KEY]: encodeLastGood(value) },
  };
}
