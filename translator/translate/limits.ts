/**
 * What the API server refuses in a whole object, checked on a module's finished objects so that
 * `validate` fails with a pointer instead of the cluster refusing the deployment: a mountPath
 * used twice in the container, annotations over 256 KiB in total, an object over 1.5 MiB
 * (etcd's request limit).
 */
import { joinPointer } from '../manifest/index.js';
import type { Issues } from './issues.js';
import type { KubeObject } from './types.js';
import type { ModuleModel } from '../manifest/index.js';
import type { TranslateOptions } from './options.js';

/** Total size of an object's annotations (keys and values), as the API server limits it. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;
/** Largest object etcd stores. */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

function annotationBytes(annotations: Record<string, string> | undefined): number {
  let n = 0;
  for (const k in annotations) n += bytes(k) + bytes(annotations[k]!);
  return n;
}

/** The pod template of a workload, when the object has one. */
function templateOf(object: KubeObject): { metadata?: { annotations?: Record<string, string> }; spec?: { containers?: { volumeMounts?: { mountPath?: unknown }[] }[] } } | undefined {
  return (object.spec as { template?: ReturnType<typeof templateOf> } | undefined)?.template;
}

/** Annotations over 256 KiB; the object (or its pod template, `template`) is named in the message only. */
function checkAnnotations(annotations: Record<string, string> | undefined, object: KubeObject, template: boolean, pointer: string, issues: Issues): void {
  if (annotations === undefined) return;
  // A UTF-16 unit takes at most 3 bytes in UTF-8 (a surrogate pair 4 for two): the exact size
  // is measured only when the lengths allow more than the limit.
  let units = 0;
  for (const k in annotations) units += k.length + annotations[k]!.length;
  if (3 * units <= MAX_ANNOTATIONS_BYTES) return;
  const size = annotationBytes(annotations);
  if (size > MAX_ANNOTATIONS_BYTES) {
    const what = `${object.kind} '${object.metadata.name}'${template ? ' pod template' : ''}`;
    issues.error(joinPointer(pointer, 'Labels'), `the annotations of ${what} (createOptions Labels) take ${size} bytes; Kubernetes allows ${MAX_ANNOTATIONS_BYTES} (256 KiB) in total`);
  }
}

/** A mountPath used twice in one container. */
function checkMountPaths(mounts: { mountPath?: unknown }[], pointer: string, issues: Issues): void {
  if (mounts.length < 2) return;
  const seen = new Set<string>();
  for (const m of mounts) {
    const path = String(m.mountPath);
    if (seen.has(path))
      issues.error(joinPointer(pointer, 'k8s-experimental', 'volumes'), `mountPath '${path}' is used twice in the container (by HostConfig mounts and k8s-experimental volumes, or twice in them); Kubernetes refuses it`);
    seen.add(path);
  }
}

/**
 * Checks a module's objects, those of `objects` from `from` on; `pointer` is the module's
 * createOptions. `bound` is an upper bound of the JSON size of each of them
 * ({@link moduleSizeBound}): objects are serialized to learn their exact size only when it
 * passes the limit, so the usual module costs no walk of its objects. Annotations are counted
 * only when it passes their limit: their keys and values are part of the object's JSON.
 */
export function checkObjectLimits(objects: readonly KubeObject[], pointer: string, issues: Issues, bound: number, from = 0): void {
  const annotationsFit = bound <= MAX_ANNOTATIONS_BYTES;
  for (let i = from; i < objects.length; i++) {
    const object = objects[i]!;
    const template = templateOf(object);
    const containers = template?.spec?.containers;
    if (containers !== undefined) for (const container of containers) if (container.volumeMounts !== undefined) checkMountPaths(container.volumeMounts, pointer, issues);
    if (!annotationsFit) {
      checkAnnotations(object.metadata.annotations, object, false, pointer, issues);
      checkAnnotations(template?.metadata?.annotations, object, true, pointer, issues);
    }
    if (bound <= MAX_OBJECT_BYTES) continue;
    const size = bytes(JSON.stringify(object));
    if (size > MAX_OBJECT_BYTES) issues.error(pointer, `${object.kind} '${object.metadata.name}' would take ${size} bytes; Kubernetes stores objects of at most ${MAX_OBJECT_BYTES} bytes (1.5 MiB)`);
  }
}

/**
 * What any one object of a module may take besides what {@link moduleSizeBound} counts for its
 * inputs: field names and fixed values, labels (their values are at most 63 characters), names
 * (at most 253), hashes. A module with no input at all makes objects of 1-3 KB.
 */
export const OBJECT_OVERHEAD_BYTES = 64 * 1024;
/**
 * Most JSON bytes one object of a module takes per unit of its inputs (see {@link inputUnits}).
 * Measured by `test/translator/translate/limits.test.ts` on modules made of many of the
 * smallest items of every kind: at most 2.0 bytes per unit (Tmpfs), so this leaves a margin of eight.
 */
export const BYTES_PER_INPUT_UNIT = 16;
/** Units of every member of an object or item of an array of the inputs, for what one item makes beside its text (a volume's name, a port's protocol). */
export const MEMBER_UNITS = 16;

/** Units of a string: 6 per UTF-16 unit (the most JSON needs for one, `\u001f`) and the quotes. */
function textUnits(text: string): number {
  return 6 * text.length + 2;
}

/**
 * Units of a JSON value of the inputs (createOptions): at least the bytes of its JSON text
 * (strings as {@link textUnits}, a number 24, the most `JSON.stringify` writes for one), with
 * {@link MEMBER_UNITS} more for every member and item. A walk of the input, which is a few
 * hundred bytes per module where its objects are a few kilobytes.
 */
export function inputUnits(value: unknown): number {
  if (typeof value === 'string') return textUnits(value);
  if (typeof value === 'number') return 24;
  if (value === null || typeof value !== 'object') return 5;
  let units = 2;
  if (Array.isArray(value)) for (const item of value) units += MEMBER_UNITS + inputUnits(item);
  else for (const key in value) units += MEMBER_UNITS + textUnits(key) + 1 + inputUnits((value as Record<string, unknown>)[key]);
  return units;
}

/**
 * Most units ({@link inputUnits}) per character of the JSON text a value was parsed from: a
 * number takes one character or more and counts 24 units, a member or item {@link MEMBER_UNITS}
 * more for its comma, colon or bracket; a string counts 6 per character and 2 for its quotes;
 * the lenient reader's extras (comments, unquoted names, trailing commas) only add characters.
 * `test/translator/translate/limits.test.ts` checks it on the value most dense in units.
 */
export const UNITS_PER_TEXT_CHARACTER = 24;

/**
 * An upper bound of the JSON size (UTF-8 bytes) of every object translated from `module`,
 * found from what they are built from: its createOptions, env, name, image and version, the
 * options written into its objects, and the pull Secrets its pod names. Each unit of input
 * (see {@link inputUnits}) adds {@link BYTES_PER_INPUT_UNIT} bytes, on top of
 * {@link OBJECT_OVERHEAD_BYTES}. The createOptions count by the length of the text they were
 * parsed from (no walk of them, the usual case) unless that bound passes the limit, where the
 * walk gives a tighter one.
 */
export function moduleSizeBound(module: ModuleModel, options: TranslateOptions, pullSecrets: readonly string[]): number {
  let units = textUnits(module.name) + textUnits(module.image) + textUnits(module.version ?? '');
  units += textUnits(options.deviceId) + textUnits(options.hubHostname) + textUnits(options.namespace);
  for (const e of module.env) units += MEMBER_UNITS + textUnits(e.name) + textUnits(e.value);
  for (const s of pullSecrets) units += MEMBER_UNITS + textUnits(s);
  const length = module.createOptionsLength;
  if (length !== undefined) {
    const bound = OBJECT_OVERHEAD_BYTES + BYTES_PER_INPUT_UNIT * (units + UNITS_PER_TEXT_CHARACTER * length);
    if (bound <= MAX_OBJECT_BYTES) return bound;
  }
  return OBJECT_OVERHEAD_BYTES + BYTES_PER_INPUT_UNIT * (units + inputUnits(module.createOptions));
}
