/** Builds deployment manifests for CLI tests: the webserver sample with modules replaced or added. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type Io } from '../../../translator/cli/main.js';
import { samplePath } from '../../golden/samples.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests poke at arbitrary manifest JSON
export type Json = any;

export const tmp = mkdtempSync(join(tmpdir(), 'iotedge-k8s-cli-'));
export const modulesPointer = '/modulesContent/$edgeAgent/properties.desired/modules';

/** Runs the CLI in-process. */
export async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (t) => (out += t), stderr: (t) => (err += t) };
  const code = await main(argv, io);
  return { code, out, err };
}

/** A module entry with the given createOptions (an object, serialized; or a string, as is). */
export function module(createOptions: unknown, extra: Json = {}): Json {
  return {
    version: '1.0',
    type: 'docker',
    status: 'running',
    restartPolicy: 'always',
    ...extra,
    settings: {
      image: 'mcr.microsoft.com/oss/nginx/nginx:1.15.5-alpine',
      createOptions: typeof createOptions === 'string' ? createOptions : JSON.stringify(createOptions),
      ...(extra.settings ?? {}),
    },
  };
}

/** Writes the webserver sample with `mutate` applied to `$edgeAgent`'s desired properties; returns its path. */
export function writeManifest(name: string, mutate: (desired: Json) => void): string {
  const doc = JSON.parse(readFileSync(samplePath('webserver.json'), 'utf8'));
  mutate(doc.modulesContent.$edgeAgent['properties.desired']);
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

/** The objects of `translate --output json`. */
export async function translateJson(file: string, ...flags: string[]): Promise<{ code: number; items: Json[]; err: string }> {
  const r = await run('translate', file, '--output', 'json', ...flags);
  return { code: r.code, items: r.code === 0 ? (JSON.parse(r.out) as { items: Json[] }).items : [], err: r.err };
}

export function find(items: Json[], kind: string, name: string): Json {
  const found = items.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} in ${items.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}
