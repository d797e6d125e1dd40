/**
 * A pod's volumes and its containers' root directories under the kubelet directory:
 *
 *     <kubelet>/pods/<pod uid>/volumes/<volume>          Secret and ConfigMap files, emptyDir
 *     <kubelet>/pods/<pod uid>/containers/<name>/root    the container's root (SANDBOX_ROOT)
 *     <kubelet>/host/<path>                              the node's filesystem: hostPath and
 *                                                        provisioned PersistentVolumes (hostPath)
 *
 * Each volumeMount becomes a symbolic link `<root>/<mountPath>` to its volume (or `subPath` inside
 * it), so a process that prefixes an absolute path with SANDBOX_ROOT finds what the container
 * would. Read-only mounts are not enforced. A Secret, ConfigMap or claim that is missing (and not
 * optional) is a {@link VolumeError}: the kubelet reports FailedMount and retries.
 */
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { KubeApi } from './api.js';
import { fieldValue } from './pod-env.js';
import { findType } from './resources.js';
import { isObject, type JsonObject, type KubeObject } from './types.js';

const SECRETS = findType('', 'secrets')!;
const CONFIGMAPS = findType('', 'configmaps')!;
const PVCS = findType('', 'persistentvolumeclaims')!;
const PVS = findType('', 'persistentvolumes')!;

/** A volume cannot be set up yet (kubelet: FailedMount). */
export class VolumeError extends Error {
  override readonly name = 'VolumeError';
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** `path` (absolute or relative) inside `root`, never above it. Pure. */
export function inside(root: string, path: string): string {
  const clean = normalize(`/${path}`).replace(/^(\/\.\.)+/, '');
  return join(root, clean);
}

function decodedData(obj: KubeObject, secret: boolean): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const data = isObject(obj.data) ? obj.data : {};
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out.set(k, secret ? Buffer.from(v, 'base64') : Buffer.from(v, 'utf8'));
  if (!secret && isObject(obj.binaryData)) for (const [k, v] of Object.entries(obj.binaryData)) if (typeof v === 'string') out.set(k, Buffer.from(v, 'base64'));
  return out;
}

function writeKeys(dir: string, data: Map<string, Buffer>, items: unknown, defaultMode: number, what: string): void {
  const list: JsonObject[] = Array.isArray(items) && items.length > 0 ? items.filter(isObject) : [...data.keys()].map((key) => ({ key, path: key }));
  for (const item of list) {
    const key = str(item.key) ?? '';
    const value = data.get(key);
    if (value === undefined) {
      if (Array.isArray(items) && items.length > 0) throw new VolumeError(`configmap or secret key "${key}" not found in ${what}`);
      continue;
    }
    const file = inside(dir, str(item.path) ?? key);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, value);
    chmodSync(file, typeof item.mode === 'number' ? item.mode : defaultMode);
  }
}

/** Sets up the pod's volumes; returns volume name -> directory (or file for hostPath files). */
export function setUpVolumes(api: KubeApi, pod: KubeObject, podDir: string, hostRoot: string, podIP: string, hostIP: string): Map<string, string> {
  const namespace = pod.metadata.namespace;
  const volumes = Array.isArray(pod.spec?.volumes) ? (pod.spec.volumes as unknown[]).filter(isObject) : [];
  const out = new Map<string, string>();
  const source = (kind: 'secret' | 'configMap', spec: JsonObject, dir: string): void => {
    const name = str(kind === 'secret' ? spec.secretName : spec.name) ?? '';
    const obj = api.tryGet(kind === 'secret' ? SECRETS : CONFIGMAPS, namespace, name);
    if (!obj) {
      if (spec.optional === true) return;
      throw new VolumeError(`MountVolume.SetUp failed: ${kind === 'secret' ? 'secret' : 'configmap'} "${name}" not found`);
    }
    writeKeys(dir, decodedData(obj, kind === 'secret'), spec.items, typeof spec.defaultMode === 'number' ? spec.defaultMode : 0o644, `${namespace ?? ''}/${name}`);
  };
  for (const volume of volumes) {
    const name = str(volume.name) ?? '';
    const dir = join(podDir, 'volumes', name);
    if (isObject(volume.hostPath) || isObject(volume.persistentVolumeClaim)) {
      let hostPath = isObject(volume.hostPath) ? (str(volume.hostPath.path) ?? '/') : undefined;
      let type = isObject(volume.hostPath) ? (str(volume.hostPath.type) ?? '') : 'DirectoryOrCreate';
      if (isObject(volume.persistentVolumeClaim)) {
        const claimName = str(volume.persistentVolumeClaim.claimName) ?? '';
        const claim = api.tryGet(PVCS, namespace, claimName);
        if (!claim) throw new VolumeError(`persistentvolumeclaim "${claimName}" not found`);
        const pv = typeof claim.spec?.volumeName === 'string' && claim.status?.phase === 'Bound' ? api.tryGet(PVS, undefined, claim.spec.volumeName) : undefined;
        if (!pv) throw new VolumeError(`persistentvolumeclaim "${claimName}" is not bound`);
        hostPath = isObject(pv.spec?.hostPath) ? (str(pv.spec.hostPath.path) ?? `/var/lib/sandbox/volumes/${pv.metadata.name ?? ''}`) : `/var/lib/sandbox/volumes/${pv.metadata.name ?? ''}`;
        type = 'DirectoryOrCreate';
      }
      const mapped = inside(hostRoot, hostPath!);
      if (type === 'File' || type === 'FileOrCreate' || type === 'CharDevice' || type === 'BlockDevice' || type === 'Socket') {
        mkdirSync(dirname(mapped), { recursive: true });
        if (type !== 'Socket') writeFileSync(mapped, '', { flag: 'a' });
      } else mkdirSync(mapped, { recursive: true });
      out.set(name, mapped);
      continue;
    }
    mkdirSync(dir, { recursive: true });
    out.set(name, dir);
    if (isObject(volume.secret)) source('secret', volume.secret, dir);
    else if (isObject(volume.configMap)) source('configMap', volume.configMap, dir);
    else if (isObject(volume.projected)) {
      for (const s of Array.isArray(volume.projected.sources) ? volume.projected.sources.filter(isObject) : []) {
        if (isObject(s.secret)) source('secret', { ...s.secret, secretName: s.secret.name }, dir);
        else if (isObject(s.configMap)) source('configMap', s.configMap, dir);
        else if (isObject(s.serviceAccountToken)) writeFileSync(inside(dir, str(s.serviceAccountToken.path) ?? 'token'), 'sandbox-token');
        else if (isObject(s.downwardAPI)) downward(s.downwardAPI, dir, pod, podIP, hostIP);
      }
    } else if (isObject(volume.downwardAPI)) downward(volume.downwardAPI, dir, pod, podIP, hostIP);
    // emptyDir (and any other type) is an empty directory.
  }
  return out;
}

function downward(spec: JsonObject, dir: string, pod: KubeObject, podIP: string, hostIP: string): void {
  for (const item of Array.isArray(spec.items) ? spec.items.filter(isObject) : []) {
    const path = str(item.path);
    const fieldPath = isObject(item.fieldRef) ? str(item.fieldRef.fieldPath) : undefined;
    if (!path || !fieldPath) continue;
    const file = inside(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, fieldValue(pod, fieldPath, podIP, hostIP) ?? '');
  }
}

/**
 * Creates (afresh) a container's root directory with one link per volumeMount; returns the root.
 * A mount of a volume the pod does not define is skipped (validation prevents it).
 */
export function setUpContainerRoot(podDir: string, container: JsonObject, volumes: ReadonlyMap<string, string>): string {
  const root = join(podDir, 'containers', str(container.name) ?? 'container', 'root');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'tmp'), { recursive: true });
  for (const mount of Array.isArray(container.volumeMounts) ? container.volumeMounts.filter(isObject) : []) {
    const volume = volumes.get(str(mount.name) ?? '');
    const mountPath = str(mount.mountPath);
    if (volume === undefined || !mountPath) continue;
    const target = inside(root, mountPath);
    const subPath = str(mount.subPath);
    const from = subPath ? inside(volume, subPath) : volume;
    if (subPath && !existsSync(from)) mkdirSync(from, { recursive: true });
    mkdirSync(dirname(target), { recursive: true });
    rmSync(target, { recursive: true, force: true });
    symlinkSync(from, target);
  }
  return root;
}
