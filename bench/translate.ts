/**
 * bench/translate: validate + translate time for 1, 10, 50 and 200-module manifests.
 *
 * For each size, times (a) JSON.parse of the manifest text + parseManifest + translate, and
 * (b) JSON.parse + JSON.stringify of the same text, alternating the two in each round so both
 * see the same machine state. Prints the median microseconds of each and their ratio.
 *
 *   npm run bench              # default rounds
 *   npm run bench -- --rounds 50
 */
import { parseManifest } from '../translator/manifest/index.js';
import { translate } from '../translator/translate/index.js';

const sizes = [1, 10, 50, 200];
const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 30;

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

function manifestText(n: number): string {
  const modules = Object.fromEntries(Array.from({ length: n }, (_, i) => [`module${i}`, moduleFor(i)]));
  return JSON.stringify({
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
  });
}

function pipeline(text: string): number {
  const { model, diagnostics } = parseManifest(JSON.parse(text));
  if (!model) throw new Error(`benchmark manifest is invalid: ${diagnostics.map((d) => d.message).join('; ')}`);
  return translate(model).objects.length;
}

function baseline(text: string): number {
  return JSON.stringify(JSON.parse(text)).length;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Microseconds for one call, averaged over enough repetitions to last about 5 ms. */
function time(fn: (t: string) => number, text: string, reps: number): number {
  const start = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) fn(text);
  return Number(process.hrtime.bigint() - start) / 1000 / reps;
}

console.log(`bench/translate: ${rounds} rounds per size, node ${process.version}`);
console.log('modules | bytes   | objects | validate+translate median µs | JSON.parse+stringify median µs | ratio');
for (const n of sizes) {
  const text = manifestText(n);
  const objects = pipeline(text);
  for (let w = 0; w < 20; w++) {
    // warm-up (JIT, schema compilation)
    pipeline(text);
    baseline(text);
  }
  const reps = Math.max(1, Math.round(2000 / n));
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    a.push(time(pipeline, text, reps));
    b.push(time(baseline, text, reps * 10));
  }
  const ma = median(a);
  const mb = median(b);
  console.log(
    `${String(n).padStart(7)} | ${String(text.length).padStart(7)} | ${String(objects).padStart(7)} | ${ma.toFixed(1).padStart(28)} | ${mb.toFixed(1).padStart(30)} | ${(ma / mb).toFixed(1)}x`,
  );
}
