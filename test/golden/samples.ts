/** The samples in deployment-manifests/ that have golden files, and the options they are translated with. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TranslateOptions } from '../../translator/translate/index.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const goldenDir = join(repoRoot, 'test', 'golden');

export interface Sample {
  /** Golden file base name. */
  name: string;
  /** Path relative to deployment-manifests/. */
  file: string;
  layers?: string[];
}

export const samples: Sample[] = [
  { name: 'webserver', file: 'webserver.json' },
  { name: 'gpu-sharing', file: 'gpu-sharing.json' },
  { name: 'shares', file: 'shares.json' },
  { name: 'registry-credentials', file: 'registry-credentials.json' },
  { name: 'chunked-create-options', file: 'chunked-create-options.json' },
  { name: 'restart-policies', file: 'restart-policies.json' },
  { name: 'edgehub-routes', file: 'edgehub-routes.json' },
  { name: 'template', file: 'template/deployment.template.json' },
  { name: 'layered', file: 'layered/base.json', layers: ['layered/monitoring.layer.json'] },
];

/** Fixed options so golden files do not depend on the machine. */
export const goldenOptions: Partial<TranslateOptions> = {
  namespace: 'iotedge',
  deviceId: 'edge-device-01',
  hubHostname: 'contoso-hub.azure-devices.net',
};

export const samplePath = (file: string): string => join(repoRoot, 'deployment-manifests', file);
