/**
 * What the API server refuses in a whole object, checked on a module's finished objects so that
 * `validate` fails with a pointer instead of the cluster refusing the deployment: a mountPath
 * used twice in the container, annotations over 256 KiB in total, an object over 1.5 MiB
 * (etcd's request limit).
 */
import { joinPointer } from '../manifest/index.js';
import type { Issues } from './issues.js';
import type { KubeObject } from './types.js';

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
 * Checks a module's objects; `pointer` is the module's createOptions. `bounds` are upper bounds
 * of the objects' JSON sizes, found by the walk that made them canonical (canonicalSized): only
 * an object whose bound passes the limit is serialized to learn its exact size, so the check
 * costs no walk of its own.
 */
export function checkObjectLimits(objects: readonly KubeObject[], pointer: string, issues: Issues, bounds: readonly number[]): void {
  for (let i = 0; i < objects.length; i++) {
    const object = objects[i]!;
    const template = templateOf(object);
    const containers = template?.spec?.containers;
    if (containers !== undefined) for (const container of containers) if (container.volumeMounts !== undefined) checkMountPaths(container.volumeMounts, pointer, issues);
    checkAnnotations(object.metadata.annotations, object, false, pointer, issues);
    checkAnnotations(template?.metadata?.annotations, object, true, pointer, issues);
    if (bounds[i]! <= MAX_OBJECT_BYTES) continue;
    const size = bytes(JSON.stringify(object));
    if (size > MAX_OBJECT_BYTES) issues.error(pointer, `${object.kind} '${object.metadata.name}' would take ${size} bytes; Kubernetes stores objects of at most ${MAX_OBJECT_BYTES} bytes (1.5 MiB)`);
  }
}
