/** Writes translator/manifest/schema-validators.generated.ts (see ./schema-validators.ts). Run after changing schemas/. */
import { writeFileSync } from 'node:fs';
import { GENERATED_FILE, validatorsSource } from './schema-validators.js';

writeFileSync(GENERATED_FILE, validatorsSource());
console.log(`wrote ${GENERATED_FILE}`);
