/**
 * bench/plan: the bridge's reconcile plan (`planReconcile`, translator/reconcile/plan.ts), the
 * pure step between a push's translation and its first write: every desired object is hashed
 * into its applied-hash annotation and compared with the object the cluster holds.
 *
 * For 10, 50 and 200 modules (bench/manifests.ts, as bench/bridge.ts pushes them) the live
 * objects are the translated objects of round 1 as a server returns them (hash annotation,
 * uid, resourceVersion, status). Two cases, each a batch of calls timed in process CPU time:
 *   - no-op: the same deployment again (every object hashed, and found contained in its live one);
 *   - changed: round 2 (every module's env changed: 50 Deployments to write, the rest unchanged).
 *
 *   npx tsx bench/plan.ts [--rounds N] [--compare DIR]
 *
 * `--compare DIR` times another tree's planReconcile (DIR/translator/reconcile/index.ts, e.g.
 * `git archive main | tar -x -C /tmp/old`) in the same rounds, the two trees taking turns going
 * first, after checking that both plan the same writes with the same hashes; it prints each
 * tree's median CPU µs per call and the ratio this / other.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileManifest } from '../translator/sources/index.js';
import { planReconcile, withHashAnnotation, type Plan } from '../translator/reconcile/index.js';
import { deploymentContent } from './manifests.js';

type PlanFn = typeof planReconcile;

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  if (at < 0) return undefined;
  const value = process.argv[at + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}

const rounds = Number(option('--rounds') ?? 30);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
const compareDir = option('--compare');
const other: PlanFn | undefined =
  compareDir === undefined ? undefined : ((await import(pathToFileURL(resolve(compareDir, 'translator/reconcile/index.ts')).href)) as { planReconcile: PlanFn }).planReconcile;

const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** What a plan writes: kind/name, mode, reason and the hash annotation of each write. */
function writesOf(plan: Plan): string {
  return JSON.stringify(plan.groups.flatMap((g) => g.writes.map((w) => [w.object.kind, w.object.metadata.name, w.mode, w.reason, w.object.metadata.annotations])));
}

console.log(`bench/plan: node ${process.version}, ${rounds} rounds${compareDir ? `, compared with ${resolve(compareDir)}` : ''}`);
console.log('modules | objects | case    | writes | this CPU µs (median) | other CPU µs (median) | this / other');
for (const n of [10, 50, 200]) {
  const first = await compileManifest({ document: deploymentContent(n, 1) }, {}, { namespace: 'bench' });
  const second = await compileManifest({ document: deploymentContent(n, 2) }, {}, { namespace: 'bench' });
  if (!first.ok || !second.ok || !first.model || !second.model) throw new Error(`the ${n}-module manifest does not translate`);
  const live = new Map(
    first.objects.map((o) => {
      const served = JSON.parse(JSON.stringify(withHashAnnotation(o))) as typeof o & { status?: unknown };
      served.metadata.uid = `uid-${o.metadata.name}`;
      served.metadata.resourceVersion = '42';
      served.status = { observedGeneration: 1 };
      return [`${o.kind}/${o.metadata.name}`, served];
    }),
  );
  for (const [label, input] of [['no-op', first], ['changed', second]] as const) {
    const run = (fn: PlanFn) => fn(input.objects, live, input.model!);
    const writes = writesOf(run(planReconcile));
    if (other && writesOf(run(other)) !== writes) throw new Error(`the compared tree plans the ${n}-module ${label} case differently`);
    const batch = Math.max(1, Math.round(2000 / n));
    const times: { this: number[]; other: number[] } = { this: [], other: [] };
    const timeBatch = (fn: PlanFn) => {
      const c0 = cpu();
      for (let i = 0; i < batch; i++) run(fn);
      return (cpu() - c0) / batch;
    };
    for (let i = 0; i < 5; i++) timeBatch(planReconcile); // warm-up
    if (other) for (let i = 0; i < 5; i++) timeBatch(other);
    for (let r = 0; r < rounds; r++) {
      const order: ['this' | 'other', PlanFn][] = other ? [['this', planReconcile], ['other', other]] : [['this', planReconcile]];
      if (r % 2 === 1) order.reverse();
      for (const [side, fn] of order) times[side].push(timeBatch(fn));
    }
    const count = JSON.parse(writes).length as number;
    const mine = median(times.this);
    const theirs = other ? median(times.other) : undefined;
    console.log(
      `${String(n).padStart(7)} | ${String(input.objects.length).padStart(7)} | ${label.padEnd(7)} | ${String(count).padStart(6)} | ${mine.toFixed(0).padStart(19)} | ${(theirs?.toFixed(0) ?? '-').padStart(21)} | ${theirs ? (mine / theirs).toFixed(2) : '-'}`,
    );
  }
}
