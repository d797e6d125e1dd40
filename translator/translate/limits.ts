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
  return Object.entries(annotations ?? {}).reduce((n, [k, v]) => n + bytes(k) + bytes(v), 0);
}

/** The pod template of a workload, when the object has one. */
function templateOf(object: KubeObject): { metadata?: { annotations?: Record<string, string> }; spec?: { containers?: { volumeMounts?: { mountPath?: unknown }[] }[] } } | undefined {
  return (object.spec as { template?: ReturnType<typeof templateOf> } | undefined)?.template;
}

/** Checks a module's objects; `pointer` is the module's createOptions. */
export function checkObjectLimits(objects: readonly KubeObject[], pointer: string, issues: Issues): void {
  for (const object of objects) {
    const what = `${object.kind} '${object.metadata.name}'`;
    const template = templateOf(object);
    for (const container of template?.spec?.containers ?? []) {
      const seen = new Set<string>();
      for (const m of container.volumeMounts ?? []) {
        const path = String(m.mountPath);
        if (seen.has(path))
          issues.error(joinPointer(pointer, 'k8s-experimental', 'volumes'), `mountPath '${path}' is used twice in the container (by HostConfig mounts and k8s-experimental volumes, or twice in them); Kubernetes refuses it`);
        seen.add(path);
      }
    }
    for (const [where, annotations] of [['', object.metadata.annotations], [' pod template', template?.metadata?.annotations]] as const) {
      const size = annotationBytes(annotations);
      if (size > MAX_ANNOTATIONS_BYTES)
        issues.error(joinPointer(pointer, 'Labels'), `the annotations of ${what}${where} (createOptions Labels) take ${size} bytes; Kubernetes allows ${MAX_ANNOTATIONS_BYTES} (256 KiB) in total`);
    }
    const size = bytes(JSON.stringify(object));
    if (size > MAX_OBJECT_BYTES) issues.error(pointer, `${what} would take ${size} bytes; Kubernetes stores objects of at most ${MAX_OBJECT_BYTES} bytes (1.5 MiB)`);
  }
}
