/**
 * deploy/Dockerfile, without a Docker engine: its COPY steps are replayed into temporary
 * folders (the build stage compiles what it copied; the runtime stage gets its files and the
 * build stage's output), then the image's ENTRYPOINT + CMD run with plain node.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../golden/samples.js';

const dockerfile = readFileSync(join(repoRoot, 'deploy', 'Dockerfile'), 'utf8');

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  name: string;
  instructions: Instruction[];
}

function parse(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [op, ...rest] = line.split(/\s+/);
    const instruction = { op: op!.toUpperCase(), args: rest.join(' ') };
    if (instruction.op === 'FROM') stages.push({ name: /\sAS\s+(\S+)$/i.exec(line)?.[1] ?? String(stages.length), instructions: [] });
    stages.at(-1)!.instructions.push(instruction);
  }
  return stages;
}

interface Copy {
  from?: string;
  sources: string[];
  dest: string;
}

function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.op === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
    });
}

function workdir(stage: Stage): string {
  return stage.instructions.filter((i) => i.op === 'WORKDIR').at(-1)!.args;
}

function exec(stage: Stage, op: string): string[] {
  const i = stage.instructions.filter((x) => x.op === op).at(-1);
  return i ? (JSON.parse(i.args) as string[]) : [];
}

/** Replays a stage's COPY steps into `root` (its WORKDIR), taking `--from` stages from `built`. */
function replay(stage: Stage, root: string, built: Map<string, { dir: string; workdir: string }>): void {
  for (const c of copies(stage)) {
    for (const src of c.sources) {
      let from: string;
      if (c.from !== undefined) {
        const other = built.get(c.from)!;
        from = join(other.dir, posix.relative(other.workdir, src));
      } else from = join(repoRoot, src);
      expect({ copy: src, exists: existsSync(from) }).toEqual({ copy: src, exists: true });
      const to = c.dest.endsWith('/') && !src.endsWith('/') ? join(root, c.dest, posix.basename(src)) : join(root, c.dest);
      mkdirSync(join(to, '..'), { recursive: true });
      cpSync(from, to, { recursive: true });
    }
  }
}

describe('deploy/Dockerfile', () => {
  const stages = parse(dockerfile);
  const build = stages.find((s) => s.name === 'build')!;
  const runtime = stages.at(-1)!;

  it('is multi-stage: a build stage with all dependencies, a runtime stage with production ones only', () => {
    expect(stages.length).toBe(2);
    const runs = (s: Stage) => s.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join(' && ');
    expect(runs(build)).toMatch(/npm ci/);
    expect(runs(build)).toMatch(/npm run build/);
    expect(runs(runtime)).toMatch(/npm ci --omit=dev/);
    expect(runs(runtime)).not.toMatch(/npm run build|tsx/);
  });

  it('runs as a numeric non-root user', () => {
    const user = runtime.instructions.filter((i) => i.op === 'USER').at(-1)?.args ?? '0';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
  });

  it('builds from what it copies, and its entry point runs the compiled CLI with plain node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-image-'));
    try {
      const buildDir = join(dir, 'build');
      const appDir = join(dir, 'app');
      mkdirSync(buildDir);
      mkdirSync(appDir);
      replay(build, buildDir, new Map());
      symlinkSync(join(repoRoot, 'node_modules'), join(buildDir, 'node_modules'));
      // The build stage's `npm run build`: tsc, then the bundle of the entry point (scripts/bundle.mjs).
      execFileSync('npm', ['run', 'build', '--silent'], { cwd: buildDir, stdio: 'pipe' });

      replay(runtime, appDir, new Map([['build', { dir: buildDir, workdir: workdir(build) }]]));
      symlinkSync(join(repoRoot, 'node_modules'), join(appDir, 'node_modules'));
      const [command, ...rest] = exec(runtime, 'ENTRYPOINT');
      // Node/V8 flags between `node` and the script (--lite-mode ...) run with the same node here.
      const nodeFlags = rest.slice(0, rest.findIndex((a) => !a.startsWith('-')));
      const [script, ...entryArgs] = rest.slice(nodeFlags.length);
      expect(command).toBe('node');
      expect(script).toMatch(/^dist\//);
      expect(existsSync(join(appDir, script!))).toBe(true);
      expect(exec(runtime, 'CMD')).toEqual(['run']);

      const run = promisify(execFile);
      const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
      const version = await run(process.execPath, [...nodeFlags, script!, ...entryArgs, '--version'], { cwd: appDir });
      expect(version.stdout.trim()).toBe(pkg.version);
      // Nothing else: no warning of node or V8 about the flags (it would be a non-JSON log line).
      expect(version.stderr).toBe('');
      const validated = await run(process.execPath, [...nodeFlags, script!, ...entryArgs, 'validate', join(repoRoot, 'deployment-manifests', 'webserver.json')], { cwd: appDir });
      expect(validated.stdout).toContain('valid (1 modules');
      const help = await run(process.execPath, [...nodeFlags, script!, ...entryArgs, ...exec(runtime, 'CMD'), '--help'], { cwd: appDir });
      expect(help.stdout).toContain('Usage: iotedge-k8s run');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("the build context's ignore file keeps everything the COPY steps name", () => {
    const ignore = readFileSync(join(repoRoot, 'deploy', 'Dockerfile.dockerignore'), 'utf8').split('\n').filter((l) => l.startsWith('!'));
    for (const c of [...copies(build), ...copies(runtime)].filter((c) => c.from === undefined)) {
      for (const src of c.sources) expect(ignore).toContain(src.endsWith('/') ? `!${src}**` : `!${src}`);
    }
  });
});
