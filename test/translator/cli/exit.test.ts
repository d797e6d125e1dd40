/**
 * The command's end (translator/cli/exit.ts), in-process and through the real bin in shell
 * pipelines: `translate` with a large, varied output piped to a reader that starts late (as kubectl
 * does on a loaded machine) delivers every byte, `translate | kubectl apply --server-side -f -`
 * stores exactly the translated objects in the Kubernetes API emulator, and `translate | head`
 * ends quietly. The kubectl test is skipped (with a message) when kubectl is not on the PATH.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { BROKEN_PIPE_EXIT_CODE, endOnBrokenPipe, flushed } from '../../../translator/cli/exit.js';
import { repoRoot } from '../../golden/samples.js';
import { binPath, ensureBuilt } from '../../support/build.js';
import { module, run, translateJson, writeManifest, type Json } from './manifests.js';

jest.setTimeout(120_000);

describe('flushed', () => {
  /** A stream that takes 30 ms per write, as a pipe whose reader is slow. */
  const slow = () => new Writable({ write: (_chunk, _encoding, done) => void setTimeout(done, 30) });

  it('resolves at once when nothing is pending', async () => {
    let resolved = false;
    void flushed(slow()).then(() => (resolved = true));
    await sleep(0);
    expect(resolved).toBe(true);
  });

  it('resolves only once every earlier write has completed', async () => {
    const stream = slow();
    for (let i = 0; i < 5; i++) stream.write('x'.repeat(1000));
    let resolved = false;
    const done = flushed(stream).then(() => (resolved = true));
    await sleep(60);
    expect(resolved).toBe(false);
    expect(stream.writableLength).toBeGreaterThan(0);
    await done;
    expect(stream.writableLength).toBe(0);
  });

  it('resolves when the stream fails (a closed pipe) instead of waiting for ever', async () => {
    const stream = new Writable({ write: (_chunk, _encoding, done) => void setTimeout(() => done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })), 10) });
    const errors: string[] = [];
    stream.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code!)); // the caller's handler (the bin: endOnBrokenPipe)
    stream.write('x');
    await expect(flushed(stream)).resolves.toBeUndefined();
    expect(errors).toEqual(['EPIPE']);
  });
});

describe('endOnBrokenPipe', () => {
  it('ends with 141 on EPIPE and 1 on another stdout error; stderr errors are ignored', () => {
    const codes: number[] = [];
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    endOnBrokenPipe(stdout, stderr, (code) => codes.push(code));
    stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    stdout.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }));
    stderr.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(codes).toEqual([BROKEN_PIPE_EXIT_CODE, 1]);
  });
});

// ---------------------------------------------------------------------------------------------
// The real bin in shell pipelines

/** A small deterministic generator (mulberry32), so a failure names a reproducible manifest. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Strings a YAML writer or a YAML 1.1 reader (kubectl's) could get wrong. */
const AWKWARD = [
  'a: b', 'x #not a comment', '# leading hash', '---', '...', '--- a', '- item', '? key', '{a: 1}', '[1, 2]', '&anchor', '*alias',
  '!tag', '|', '>', '%YAML 1.1', '@at', '`tick`', "it's", 'say "hi"', 'back\\slash', 'tab\there', 'two\nlines\n', ' leading space',
  'trailing space ', '\uFEFFbom', 'ünïcödé ✓ 日本', '<<', 'yes', 'No', 'on', '0x1F', '012', '1e3', '1:20', '2001-12-14', '~', 'null',
  '.inf', '', '=', 'http://host:8080/path?q=1#frag', 'C:\\Program Files\\x', '${HOME}', '$(cmd)', 'key=value; other: "q" # c',
];

/** 50 modules with generated names, ports, many env values and long createOptions: about 1 MB of YAML. */
function largeVariedManifest(name: string, seed: number): string {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const words = ['alpha', 'beta: gamma', 'delta #1', 'eps', '---', 'zeta-eta', '"theta"', "iota's", 'kappa\tlambda', 'mu'];
  const long = (n: number) => Array.from({ length: n }, () => pick(words)).join(' ');
  const value = () => (next() < 0.3 ? long(20 + Math.floor(next() * 200)) : pick(AWKWARD));
  return writeManifest(name, (d) => {
    d.modules = {};
    for (let i = 0; i < 50; i++) {
      const id = `${pick(['Sensor', 'filter_', 'Edge-', 'opc', 'm'])}${pick(['', 'X', '_a', '-b'])}${i}`;
      const port = 10_000 + i * 3;
      const env = Object.fromEntries(Array.from({ length: 25 }, (_, k) => [`V_${k}`, { value: value() }]));
      d.modules[id] = module(
        {
          Env: Array.from({ length: 10 }, (_, k) => `C_${k}=${value()}`),
          Cmd: ['--name', value(), '--text', long(60)],
          Labels: Object.fromEntries(Array.from({ length: 5 }, (_, k) => [`example.com/l${k}`, value()])),
          ExposedPorts: { [`${port}/tcp`]: {}, [`${port + 1}/tcp`]: {} },
          HostConfig: { PortBindings: { [`${port + 2}/tcp`]: [{ HostPort: String(port + 2) }] } },
        },
        { env },
      );
    }
  });
}

/** Runs `script` with bash (pipefail): its stdout, stderr and exit code. */
function shell(script: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('/bin/bash', ['-c', `set -o pipefail\n${script}`], { cwd: repoRoot, timeout: 90_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr }),
    );
  });
}

/**
 * `translate FILE FLAGS | READER`, where READER starts only once translate has exited (or after
 * 6 s, since translate cannot exit before its output is read): a kubectl slow to start on a
 * loaded machine. Also returns translate's own exit code and stderr.
 */
async function pipeToLateReader(dir: string, file: string, flags: string, reader: string): Promise<{ code: number; out: string; err: string; translateCode: number; translateErr: string }> {
  const status = join(dir, `status-${Math.random().toString(36).slice(2)}`);
  const r = await shell(
    `{ ${JSON.stringify(process.execPath)} ${JSON.stringify(binPath)} translate ${JSON.stringify(file)} ${flags} 2>${status}.err; echo $? >${status}; } | ` +
      `{ for i in $(seq 60); do [ -e ${status} ] && break; sleep 0.1; done; ${reader}; }`,
  );
  return { ...r, translateCode: Number(readFileSync(status, 'utf8').trim()), translateErr: readFileSync(`${status}.err`, 'utf8') };
}

describe('translate through a shell pipe (the bin)', () => {
  let dir: string;
  let file: string;
  let expected: string;
  /** translate's warnings (module names that are not Kubernetes names): on stderr, never in the YAML. */
  let warnings: string;

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-pipe-'));
    file = largeVariedManifest('large-varied.json', 20261201);
    const r = await run('translate', file, '--namespace', 'pipe-test');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^(warning [^\n]*\n)+$/);
    warnings = r.err;
    expected = r.out;
    // Far more than a pipe holds (64 KiB), so most of it waits in translate until the reader reads.
    expect(expected.length).toBeGreaterThan(500_000);
  }, 180_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a reader that starts after translate is done still gets every byte', async () => {
    const r = await pipeToLateReader(dir, file, '--namespace pipe-test', 'cat');
    expect(r.translateErr).toBe(warnings);
    expect(r.translateCode).toBe(0);
    expect(r.code).toBe(0);
    expect(r.out.length).toBe(expected.length);
    expect(r.out === expected).toBe(true);
  });

  it('a reader that goes away (| head) ends translate quietly with 141, no stack trace', async () => {
    const r = await shell(`${JSON.stringify(process.execPath)} ${JSON.stringify(binPath)} translate ${JSON.stringify(file)} | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`);
    expect(r.err).toBe(warnings);
    expect(r.out.trim()).toBe(String(BROKEN_PIPE_EXIT_CODE));
  });

  const kubectl = (process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'kubectl')).find((p) => existsSync(p));
  if (!kubectl) console.log('kubectl is not on the PATH: skipping translate | kubectl apply through a shell pipe');
  (kubectl ? describe : describe.skip)('| kubectl apply --server-side -f - against the Kubernetes API emulator', () => {
    let emulator: KubeEmulator;

    beforeAll(async () => {
      emulator = await startKubeEmulator({ stateDir: dir, timeFactor: 0.02 });
    });

    afterAll(async () => {
      await emulator?.stop();
    });

    it('a kubectl that starts late applies exactly the translated objects', async () => {
      const kubeconfig = join(dir, 'kubeconfig');
      const received = join(dir, 'received.yaml');
      const r = await pipeToLateReader(dir, file, '--namespace pipe-test', `tee ${received} | ${kubectl} --kubeconfig ${kubeconfig} apply --server-side -o name -f -`);
      expect(r.translateErr).toBe(warnings);
      expect(r.translateCode).toBe(0);
      expect(readFileSync(received, 'utf8') === expected).toBe(true);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const { items } = await translateJson(file, '--namespace', 'pipe-test');
      expect(r.out.trim().split('\n')).toHaveLength(items.length);

      // What the API server holds is what translate meant: every env value and annotation, byte for byte.
      const got = await shell(`${kubectl} --kubeconfig ${kubeconfig} get deployments -n pipe-test -o json`);
      expect(got.code).toBe(0);
      const stored = new Map<string, Json>((JSON.parse(got.out) as { items: Json[] }).items.map((d) => [d.metadata.name, d]));
      const deployments = items.filter((o: Json) => o.kind === 'Deployment');
      expect(deployments).toHaveLength(51); // the 50 modules and edgeHub
      for (const want of deployments) {
        const have = stored.get(want.metadata.name);
        expect(have?.spec.template.spec.containers.map((c: Json) => c.env)).toEqual(want.spec.template.spec.containers.map((c: Json) => c.env));
        expect(have?.spec.template.spec.containers.map((c: Json) => c.args)).toEqual(want.spec.template.spec.containers.map((c: Json) => c.args));
        expect(have?.spec.template.metadata.annotations).toEqual(want.spec.template.metadata.annotations);
      }
    });
  });
});
