/**
 * The compiled build (dist/) for tests that run the package as it is installed. `npm ci` builds
 * it (the `prepare` script); when a source file is newer than the build, it is built again here,
 * so these tests never run stale JavaScript.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../golden/samples.js';

export const distDir = join(repoRoot, 'dist');
export const binPath = join(repoRoot, 'bin', 'iotedge-k8s.js');

function newestMtime(dir: string, pick: (name: string) => boolean): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path, pick));
    else if (pick(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ unless it is newer than every source it is compiled from. */
export function ensureBuilt(): void {
  const markers = [join(distDir, 'translator', 'cli', 'entry.js'), join(distDir, 'bundle', 'cli', 'entry.js')];
  const sources = Math.max(
    ...['translator', 'sandbox'].map((d) => newestMtime(join(repoRoot, d), (n) => n.endsWith('.ts'))),
    ...['tsconfig.json', 'tsconfig.build.json', join('scripts', 'bundle.mjs')].map((f) => statSync(join(repoRoot, f)).mtimeMs),
  );
  if (markers.every((m) => existsSync(m)) && newestMtime(distDir, (n) => n.endsWith('.js')) >= sources) return;
  // `npm run build`: tsc, then the image's bundle (scripts/bundle.mjs).
  execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'pipe' });
  execFileSync(process.execPath, [join(repoRoot, 'scripts', 'bundle.mjs')], { cwd: repoRoot, stdio: 'pipe' });
}
