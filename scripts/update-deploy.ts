/** Writes deploy/*.yaml (but the Dockerfile) from `iotedge-k8s install`'s defaults: `npm run deploy:update`. */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployFiles } from './deploy-manifests.js';

const deployDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'deploy');
for (const [file, text] of deployFiles()) {
  writeFileSync(join(deployDir, file), text);
  console.log(`wrote deploy/${file}`);
}
