/**
 * The package's own files (package.json, schemas/), found from the sources (`translator/`) and
 * from the compiled build (`dist/translator/`) alike: the nearest folder upwards whose
 * package.json names this package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'iotedge-k8s';

function findRoot(start: URL): URL {
  for (let dir = start; ; dir = new URL('../', dir)) {
    const file = new URL('package.json', dir);
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown };
      if (pkg.name === PACKAGE_NAME) return dir;
    }
    if (fileURLToPath(new URL('../', dir)) === fileURLToPath(dir)) {
      throw new Error(`${PACKAGE_NAME}: no package.json of this package above ${fileURLToPath(start)}`);
    }
  }
}

/** The package's root folder (a file URL ending in `/`). */
export const packageRoot: URL = findRoot(new URL('./', import.meta.url));

/** The package's version, from its package.json. */
export const packageVersion: string = (JSON.parse(readFileSync(new URL('package.json', packageRoot), 'utf8')) as { version: string }).version;
