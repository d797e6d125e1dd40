/**
 * bench/translate: validate + translate against JSON.parse + JSON.stringify of the same manifest
 * text, at 1, 10, 50 and 200 modules.
 *
 * (a) is what `iotedge-k8s translate` does once it has read the file: the programmatic API's
 *     `translate(text)` (translator/index.ts, the function the CLI is built on) takes the
 *     manifest TEXT, parses it, detects its form, validates it against the official schemas,
 *     normalizes it and translates every module into Kubernetes objects.
 * (b) is `JSON.stringify(JSON.parse(text))` of the same text: the floor of any tool that reads
 *     and writes that JSON.
 *
 * Each round times a batch of (a) calls and a batch of (b) calls, one after the other in the
 * same process (the order swaps every round), so both see the same machine state; the per-call
 * times of the rounds give a median and a p95 for each side. Each batch is timed twice: CPU
 * time of the process (`process.cpuUsage`, user + system, GC threads included) and wall time.
 * The goal of issue 8 is a ratio median(a) / median(b) of at most 4 at 10, 50 and 200 modules
 * (1 module is printed for information), judged on CPU time, which a shared, loaded machine
 * disturbs far less than wall time (a batch that waits for a core costs wall time, not CPU
 * time); the wall-time ratio is printed beside it. The last line says whether the goal is met,
 * and the exit code is 1 when it is not.
 *
 * For scale, each round also times two ways of building the translated objects' graph (the
 * `out` columns; the output is several times larger than the manifest: labels, selectors and
 * annotations repeat in every object): `JSON.parse` of their JSON text, and a function whose
 * source is that text, which builds the same graph from object literals with constant strings.
 * The second is the floor for code that builds these objects; `JSON.parse` is far slower than
 * it on this output (it must find each object's shape key by key), so it is no floor.
 *
 *   npm run bench                       # 30 rounds per size
 *   npm run bench -- --rounds 50
 *   npm run bench -- --goal 4           # the ratio the goal allows (default 4)
 *   npm run bench -- --warm-up 5000     # ms of warm-up per size (default 1000)
 *   npm run bench -- --compare /tmp/old # also time another tree's translate() (its
 *                                       # translator/index.ts), e.g. `git archive main | tar -x -C /tmp/old`
 *
 * With `--compare DIR`, each round also times a batch of the other tree's `translate(text)` on
 * the same text (the three batches take turns going first), and the table gets that tree's
 * CPU µs and ratio beside this tree's, so a before/after comparison sees the same machine
 * state. Both trees must translate each manifest to the same JSON, or the bench stops with an
 * error before timing anything. The goal is still judged on this tree.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { translate } from '../translator/index.js';

const SIZES = [1, 10, 50, 200];
/** Sizes the goal applies to. */
const GOAL_SIZES = new Set([10, 50, 200]);

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}

const rounds = flag('--rounds', 30);
const compareAt = process.argv.indexOf('--compare');
const compareDir = compareAt > 0 ? process.argv[compareAt + 1] : undefined;
if (compareAt > 0 && (compareDir === undefined || compareDir.startsWith('--'))) throw new Error('--compare needs the folder of another tree');
type Translate = typeof translate;
const other: Translate | undefined =
  compareDir === undefined ? undefined : ((await import(pathToFileURL(resolve(compareDir, 'translator/index.ts')).href)) as { translate: Translate }).translate;
const goal = flag('--goal', 4);
/** Warm-up per size and tree, ms: the first size's number is mostly JIT compilation (whose threads count in CPU time) when it is short. */
const WARM_UP_MS = flag('--warm-up', 1000);

/** A module with the createOptions real manifests use: ports, binds, env, resources, labels. */
function moduleFor(i: number): Record<string, unknown> {
  const createOptions = {
    Env: [`MODULE_INDEX=${i}`, 'LOG_LEVEL=info'],
    ExposedPorts: { [`${8000 + i}/tcp`]: {} },
    Labels: { 'com.contoso.module': `m${i}` },
    HostConfig: {
      PortBindings: i % 3 === 0 ? { [`${8000 + i}/tcp`]: [{ HostPort: String(10000 + i) }] } : undefined,
      Binds: [`/data/m${i}:/data`],
      Memory: 134217728,
      NanoCpus: 250000000,
    },
  };
  return {
    version: '1.0',
    type: 'docker',
    status: 'running',
    restartPolicy: i % 10 === 9 ? 'on-failure' : 'always',
    startupOrder: i % 4,
    env: { INSTANCE: { value: `instance-${i}` } },
    settings: { image: `contoso.azurecr.io/module-${i}:1.0.${i}`, createOptions: JSON.stringify(createOptions) },
  };
}

/** The manifest text, compact (the harder case for the ratio: indentation would slow JSON.parse, not us much). */
function manifestText(n: number): string {
  const modules = Object.fromEntries(Array.from({ length: n }, (_, i) => [`module${i}`, moduleFor(i)]));
  return JSON.stringify(
    {
      modulesContent: {
        $edgeAgent: {
          'properties.desired': {
            schemaVersion: '1.1',
            runtime: {
              type: 'docker',
              settings: { minDockerVersion: 'v1.25', registryCredentials: { contoso: { username: 'u', password: 'p', address: 'contoso.azurecr.io' } } },
            },
            systemModules: {
              edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5', createOptions: '{}' } },
              edgeHub: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5', createOptions: '{}' } },
            },
            modules,
          },
        },
        $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: { r: 'FROM /messages/* INTO $upstream' }, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
      },
    },
  );
}

/** (a): validate + translate from the text, as the CLI does; returns the number of objects. */
async function pipeline(text: string, run: Translate = translate): Promise<number> {
  const out = await run(text, { path: '/bench/deployment.json' });
  if (!out.valid) throw new Error(`benchmark manifest is invalid: ${out.diagnostics.map((d) => d.message).join('; ')}`);
  return out.objects.length;
}

/** (b): the baseline. */
function baseline(text: string): number {
  return JSON.stringify(JSON.parse(text)).length;
}

function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((x, y) => x - y);
  if (q === 0.5) {
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  }
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

/** CPU and wall microseconds per call of a batch. */
interface Sample {
  cpu: number;
  wall: number;
}

function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

async function timeA(text: string, reps: number, run: Translate = translate): Promise<Sample> {
  const cpu = cpuNow();
  const start = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) await pipeline(text, run);
  return { wall: Number(process.hrtime.bigint() - start) / 1000 / reps, cpu: (cpuNow() - cpu) / reps };
}

function timeSync(fn: (text: string) => unknown, text: string, reps: number): Sample {
  const cpu = cpuNow();
  const start = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) fn(text);
  return { wall: Number(process.hrtime.bigint() - start) / 1000 / reps, cpu: (cpuNow() - cpu) / reps };
}

const timeB = (text: string, reps: number): Sample => timeSync(baseline, text, reps);
const parseOutput = (outputText: string): unknown => JSON.parse(outputText);

/**
 * A function that builds the translated objects from object literals (its source is their JSON
 * text, which is a JavaScript expression): the same graph as `JSON.parse(out)`, built the way
 * compiled code builds objects, with every string a constant. What building the output costs
 * at the least, before any reading, checking or string building (the `literals(out)` column).
 */
function outputFromLiterals(outputText: string): () => unknown {
  if (outputText.includes('"__proto__"')) throw new Error('an object literal would not keep a __proto__ member');
  return new Function(`return ${outputText};`) as () => unknown;
}

/** Repetitions so that one batch lasts about `ms` milliseconds. */
async function repsFor(measure: (reps: number) => Promise<Sample> | Sample, ms: number): Promise<number> {
  const once = (await measure(3)).wall;
  return Math.max(3, Math.round((ms * 1000) / Math.max(once, 0.001)));
}

const pad = (s: string | number, n: number): string => String(s).padStart(n);
const us = (v: number): string => v.toFixed(1);

console.log(`bench/translate: ${rounds} rounds per size, node ${process.version}, goal: validate+translate <= ${goal}x JSON.parse+JSON.stringify at ${[...GOAL_SIZES].join(', ')} modules`);
console.log('CPU µs per call (median / p95); ratio = median(validate+translate) / median(JSON.parse+stringify); goal judged on the CPU ratio');
if (compareDir !== undefined) console.log(`compared with the tree in ${resolve(compareDir)} ("other" columns), timed in the same rounds`);
console.log(
  'modules |   bytes | objects | validate+translate CPU µs | JSON.parse+stringify CPU µs | CPU ratio | wall ratio | goal    | out bytes | JSON.parse(out) ratio | literals(out) ratio' +
    (other === undefined ? '' : ' | other: validate+translate CPU µs | other: CPU ratio | other: wall ratio | this / other CPU'),
);
const missed: string[] = [];
for (const n of SIZES) {
  const text = manifestText(n);
  const objects = await pipeline(text);
  const outputText = JSON.stringify((await translate(text, { path: '/bench/deployment.json' })).objects);
  if (other !== undefined) {
    // Both trees must translate the same text to the same objects, or the comparison means nothing.
    const otherText = JSON.stringify((await other(text, { path: '/bench/deployment.json' })).objects);
    if (otherText !== outputText) throw new Error(`the compared tree translates the ${n}-module manifest differently`);
  }
  // Warm-up, about a second of each (schema compilation, JIT: the optimizing compiler needs many calls).
  for (const end = Date.now() + WARM_UP_MS * (other === undefined ? 1 : 2); Date.now() < end; ) {
    await pipeline(text);
    if (other !== undefined) await pipeline(text, other);
    for (let k = 0; k < 10; k++) baseline(text);
  }
  const repsA = await repsFor((reps) => timeA(text, reps), 20);
  const repsB = await repsFor((reps) => timeB(text, reps), 20);
  const repsC = await repsFor((reps) => timeSync(parseOutput, outputText, reps), 20);
  const fromLiterals = outputFromLiterals(outputText);
  if (JSON.stringify(fromLiterals()) !== outputText) throw new Error('the literals do not build the translated objects');
  const buildOutput = (): unknown => fromLiterals();
  const repsL = await repsFor((reps) => timeSync(buildOutput, outputText, reps), 20);
  const repsO = other === undefined ? 0 : await repsFor((reps) => timeA(text, reps, other), 20);
  const a: Sample[] = [];
  const b: Sample[] = [];
  const c: Sample[] = [];
  const l: Sample[] = [];
  const o: Sample[] = [];
  const steps: (() => Promise<void>)[] = [
    async () => void a.push(await timeA(text, repsA)),
    async () => void b.push(timeB(text, repsB)),
    ...(other === undefined ? [] : [async () => void o.push(await timeA(text, repsO, other))]),
  ];
  for (let r = 0; r < rounds; r++) {
    // Each batch goes first in turn.
    for (let k = 0; k < steps.length; k++) await steps[(r + k) % steps.length]!();
    c.push(timeSync(parseOutput, outputText, repsC));
    l.push(timeSync(buildOutput, outputText, repsL));
  }
  const cpuA = a.map((s) => s.cpu);
  const cpuB = b.map((s) => s.cpu);
  const medianB = quantile(cpuB, 0.5);
  const wallB = quantile(b.map((s) => s.wall), 0.5);
  const ratio = quantile(cpuA, 0.5) / medianB;
  const wallRatio = quantile(a.map((s) => s.wall), 0.5) / wallB;
  const outRatio = quantile(c.map((s) => s.cpu), 0.5) / medianB;
  const literalRatio = quantile(l.map((s) => s.cpu), 0.5) / medianB;
  const inGoal = GOAL_SIZES.has(n);
  const ok = ratio <= goal;
  if (inGoal && !ok) missed.push(`${n} modules: ${ratio.toFixed(1)}x`);
  let otherColumns = '';
  if (other !== undefined) {
    const cpuO = o.map((s) => s.cpu);
    const otherRatio = quantile(cpuO, 0.5) / medianB;
    const otherWall = quantile(o.map((s) => s.wall), 0.5) / wallB;
    otherColumns = ` | ${pad(`${us(quantile(cpuO, 0.5))} / ${us(quantile(cpuO, 0.95))}`, 32)} | ${pad(otherRatio.toFixed(1) + 'x', 16)} | ${pad(otherWall.toFixed(1) + 'x', 17)} | ${pad((quantile(cpuA, 0.5) / quantile(cpuO, 0.5)).toFixed(2), 17)}`;
  }
  console.log(
    `${pad(n, 7)} | ${pad(text.length, 7)} | ${pad(objects, 7)} | ${pad(`${us(quantile(cpuA, 0.5))} / ${us(quantile(cpuA, 0.95))}`, 25)} | ${pad(`${us(medianB)} / ${us(quantile(cpuB, 0.95))}`, 27)} | ${pad(ratio.toFixed(1) + 'x', 9)} | ${pad(wallRatio.toFixed(1) + 'x', 10)} | ${(inGoal ? (ok ? 'met' : 'NOT met') : '(info)').padEnd(7)} | ${pad(outputText.length, 9)} | ${pad(outRatio.toFixed(1) + 'x', 21)} | ${pad(literalRatio.toFixed(1) + 'x', 19)}${otherColumns}`,
  );
}
if (missed.length > 0) {
  console.log(`goal NOT met: ratio above ${goal}x at ${missed.join(', ')}`);
  process.exitCode = 1;
} else {
  console.log(`goal met: ratio at most ${goal}x at ${[...GOAL_SIZES].join(', ')} modules`);
}
