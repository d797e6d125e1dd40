/** Shared builders for manifest intake tests: fresh, valid documents that tests then break. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wrapDesired } from '../../support/manifest.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/manifest/', import.meta.url));
/**
 * The corpus of public manifests: data from outside this repository (IOTEDGE_K8S_CORPUS, else
 * ../shared/corpus beside the clone, as .ci/run has it). Undefined when absent: tests using it
 * skip those files and say so.
 */
const corpusDir = process.env.IOTEDGE_K8S_CORPUS || fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url));
export const CORPUS: string | undefined = existsSync(corpusDir) ? join(corpusDir, '/') : undefined;
if (CORPUS === undefined && process.env.IOTEDGE_K8S_CORPUS) throw new Error(`IOTEDGE_K8S_CORPUS is set but ${corpusDir} does not exist`);
/** SchemaStore's own test files for the IoT Edge schemas, vendored in test/fixtures/schemastore. */
export const SCHEMA_TESTS = fileURLToPath(new URL('../../fixtures/schemastore/', import.meta.url));

/** Test documents are mutated freely to break them in one place. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Doc = Record<string, any>;

export const A = '/modulesContent/$edgeAgent/properties.desired';
export const H = '/modulesContent/$edgeHub/properties.desired';

/** Valid `$edgeAgent` desired properties (schema 1.1) with one user module, `web`. */
export function agentDesired(): Doc {
  return {
    schemaVersion: '1.1',
    runtime: {
      type: 'docker',
      settings: {
        minDockerVersion: 'v1.25',
        registryCredentials: { acr: { username: 'user', password: 'pw-123', address: 'contoso.azurecr.io' } },
      },
    },
    systemModules: {
      edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5', createOptions: '{}' } },
      edgeHub: {
        type: 'docker',
        status: 'running',
        restartPolicy: 'always',
        settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5', createOptions: '{"HostConfig":{"PortBindings":{"8883/tcp":[{"HostPort":"8883"}]}}}' },
      },
    },
    modules: {
      web: {
        version: '1.0',
        type: 'docker',
        status: 'running',
        restartPolicy: 'always',
        settings: { image: 'mcr.microsoft.com/oss/nginx/nginx:1.15.5-alpine', createOptions: '{"HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"8080"}]}}}' },
        env: { GREETING: { value: 'hello' }, COUNT: { value: 3 }, ENABLED: { value: true } },
      },
    },
  };
}

/** Valid `$edgeHub` desired properties (schema 1.1). */
export function hubDesired(): Doc {
  return { schemaVersion: '1.1', routes: { up: 'FROM /messages/* INTO $upstream', prio: { route: 'FROM /messages/modules/web/* INTO $upstream', priority: 1, timeToLiveSecs: 60 } } };
}

/** A `{modulesContent}` manifest around the given desired properties. */
export function manifest(agent: unknown = agentDesired(), hub: unknown = hubDesired()): Doc {
  return wrapDesired(agent, hub);
}

/** Splits text into 512-character createOptions chunks keyed createOptions, createOptions01, ... */
export function chunked(text: string, size = 512): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i * size < text.length; i++) out[i === 0 ? 'createOptions' : `createOptions${String(i).padStart(2, '0')}`] = text.slice(i * size, (i + 1) * size);
  return out;
}
