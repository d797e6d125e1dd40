/**
 * The repository's modules as process images: every `modules/<name>/module.json` names an image
 * (`image.repository`); a container of that image, whatever its tag and platform suffix, runs the
 * module's entry point under this Node (TypeScript through tsx, as after `npm ci`). The entry point
 * is the first of `src/main.ts`, `src/main.js`, `main.js` that exists in the module's folder.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { ProcessImage } from './catalog.js';

/**
 * The repository this emulator belongs to (its `modules/` are the module images): the nearest
 * folder above this file with a package.json, from the sources (`sandbox/kube/`) and from the
 * compiled build (`dist/sandbox/kube/`) alike.
 */
export const REPOSITORY_ROOT = packageRoot(fileURLToPath(new URL('.', import.meta.url)));

function packageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return join(start, '..', '..');
  }
}

const ENTRY_POINTS = ['src/main.ts', 'src/main.js', 'main.js'];

/** One module of the repository that can run as a process. */
export interface ModuleImage {
  /** The folder name under modules/. */
  name: string;
  /** `image.repository` of its module.json, e.g. `localhost:5000/webserver`. */
  repository: string;
  /** Absolute path of the entry point. */
  entry: string;
}

/** The modules under `<root>/modules` that have a module.json with an image repository and an entry point. */
export function findModuleImages(root: string = REPOSITORY_ROOT): ModuleImage[] {
  const dir = join(root, 'modules');
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  const out: ModuleImage[] = [];
  for (const name of names) {
    let repository: unknown;
    try {
      const json = JSON.parse(readFileSync(join(dir, name, 'module.json'), 'utf8')) as { image?: { repository?: unknown } };
      repository = json.image?.repository;
    } catch {
      continue;
    }
    if (typeof repository !== 'string' || repository === '') continue;
    const entry = ENTRY_POINTS.map((e) => join(dir, name, e)).find((p) => existsSync(p));
    if (entry) out.push({ name, repository, entry });
  }
  return out;
}

/** The catalog entries (repository -> process image) of the modules under `root`. */
export function moduleProcessImages(root: string = REPOSITORY_ROOT): Map<string, ProcessImage> {
  return new Map(findModuleImages(root).map((m) => [m.repository, { kind: 'process', command: [m.entry], node: true }]));
}
