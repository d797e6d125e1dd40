/**
 * The package as npm installs it: `npm ci` compiles to dist/ (prepare), the bin runs that
 * JavaScript with plain node, and what `npm pack` ships works on its own.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../golden/samples.js';
import { binPath, distDir, ensureBuilt } from '../support/build.js';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => join(e.parentPath, e.name));
}

/** Module specifiers of static and dynamic imports in compiled JavaScript. */
function specifiers(code: string): string[] {
  const found: string[] = [];
  for (const m of code.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) {
    found.push((m[1] ?? m[2] ?? m[3])!);
  }
  return found;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

beforeAll(() => ensureBuilt(), 120_000);

describe('the compiled package', () => {
  it('builds from npm ci: prepare runs the build script, which compiles with tsconfig.build.json and bundles the image entry point', () => {
    expect(pkg.scripts['prepare']).toBe('npm run build');
    expect(pkg.scripts['build']).toBe('tsc -p tsconfig.build.json && node scripts/bundle.mjs');
    // esbuild runs at build time only (a dev dependency), in the image's build stage too.
    expect(pkg.devDependencies['esbuild']).toBeDefined();
    expect(pkg.dependencies['esbuild']).toBeUndefined();
  });

  it('prints its version', async () => {
    const { stdout } = await run(process.execPath, [binPath, '--version']);
    expect(stdout.trim()).toBe(pkg.version);
  }, 30_000);

  it('runs with plain node: no TypeScript loader in the bin, no .ts import left in dist/', () => {
    expect(readFileSync(binPath, 'utf8')).not.toMatch(/tsx|\.ts['"]/);
    const leftovers = jsFiles(distDir).flatMap((f) => specifiers(readFileSync(f, 'utf8')).filter((s) => /\.tsx?$/.test(s)).map((s) => `${f}: ${s}`));
    expect(leftovers).toEqual([]);
    expect(jsFiles(join(distDir, 'translator')).length).toBeGreaterThan(50);
  });

  it('needs only production dependencies at run time (tsx is a dev dependency)', () => {
    expect(pkg.dependencies['tsx']).toBeUndefined();
    expect(pkg.devDependencies['tsx']).toBeDefined();
    const builtins = new Set(builtinModules);
    const missing = new Set<string>();
    for (const file of [binPath, ...jsFiles(distDir)]) {
      for (const s of specifiers(readFileSync(file, 'utf8'))) {
        if (s.startsWith('.') || s.startsWith('node:') || builtins.has(s)) continue;
        if (pkg.dependencies[packageName(s)] === undefined) missing.add(`${file.slice(repoRoot.length + 1)}: ${s}`);
      }
    }
    expect([...missing]).toEqual([]);
  });

  it('what npm pack ships works on its own: validate finds the schemas from dist/', async () => {
    const listing = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' })) as [{ files: { path: string }[] }];
    const files = listing[0].files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'bin/iotedge-k8s.js', 'dist/translator/cli/main.js', 'dist/translator/index.js', 'dist/translator/index.d.ts']));
    expect(files.some((f) => f.startsWith('schemas/') && f.endsWith('.json'))).toBe(true);
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('translator/') || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);

    const dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-pack-'));
    try {
      for (const f of files) {
        mkdirSync(dirname(join(dir, f)), { recursive: true });
        cpSync(join(repoRoot, f), join(dir, f));
      }
      symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
      const { stdout } = await run(process.execPath, [join(dir, 'bin', 'iotedge-k8s.js'), 'validate', join(repoRoot, 'deployment-manifests', 'webserver.json')]);
      expect(stdout).toContain('valid (1 modules');
      const version = await run(process.execPath, [join(dir, 'bin', 'iotedge-k8s.js'), '--version']);
      expect(version.stdout.trim()).toBe(pkg.version);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
