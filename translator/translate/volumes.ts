/**
 * Storage.
 *
 * Rule: `HostConfig.Binds` (`/src:/dst[:ro]`) and `Mounts` of type `bind` become hostPath
 * volumes (DirectoryOrCreate; `Socket` for `*.sock` sockets such as /var/run/docker.sock; a
 * path with `..` is an error; read-only honoured). A named volume (`Binds` `myvol:/data`,
 * `Mounts` type `volume`) becomes a PersistentVolumeClaim named after the volume, shared by every
 * module that mounts it. `Mounts` type `tmpfs` and `HostConfig.Tmpfs` become memory emptyDirs;
 * `HostConfig.ShmSize` a memory emptyDir at /dev/shm; `Volumes` (anonymous volumes) plain
 * emptyDirs; `HostConfig.Devices` hostPath CharDevice volumes.
 */
import { joinPointer } from '../manifest/index.js';
import type { KubeObject } from './types.js';
import type { TranslateOptions } from './options.js';
import type { Issues } from './issues.js';
import type { ModuleSpec, MountSource, MountSpec } from './spec.js';
import { bytesToQuantity } from './resources.js';
import { isObject, readArray, readBoolean, readInteger, readObject, readString, readStringMap, typeName } from './values.js';
import { objectLabels, type DeviceLabels } from './labels.js';
import { MAX_LABEL_LENGTH, withHash } from './names.js';
import { compareText, sortedRecord } from './canonical.js';
import { sortBy, sortedKeys } from '../shared/index.js';

/** A Unix socket's path, as bind sources name them: `*.sock`, `*.socket`. */
const SOCKET_PATH = /\.sock(et)?$/i;
const DOT = 0x2e;

/** A Docker named volume (`myvol`), as `docker volume create` accepts it. */
const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Bind options that have no Kubernetes equivalent (SELinux relabel, propagation, consistency). */
const IGNORED_BIND_OPTIONS = new Set([
  'z', 'Z', 'nocopy', 'shared', 'slave', 'private', 'rshared', 'rslave', 'rprivate', 'consistent', 'cached', 'delegated',
]);

function addMount(spec: ModuleSpec, mount: MountSpec, issues: Issues): void {
  if (!mount.target.startsWith('/')) {
    issues.error(mount.pointer, `mount target '${mount.target}' must be an absolute path`);
    return;
  }
  const given = mount.target;
  const target = given.length > 1 && given.charCodeAt(given.length - 1) === 0x2f ? given.replace(/\/+$/, '') : given;
  let clash: MountSpec | undefined;
  for (const m of spec.mounts)
    if (m.target === target) {
      clash = m;
      break;
    }
  if (clash && sameHostPath(clash.source, mount.source)) {
    // Docker accepts the same host path twice (a device also listed in Binds); mount it once,
    // as a device when either entry is one: a DirectoryOrCreate hostPath fails on a device node.
    if (mount.source.type === 'CharDevice') clash.source = mount.source;
    clash.readOnly = clash.readOnly && mount.readOnly;
    issues.warn(mount.pointer, `'${target}' is already mounted from the same host path by ${clash.pointer}; mounted once`, 'duplicate-mount');
    return;
  }
  if (clash) {
    issues.error(mount.pointer, `mount target '${target}' is already used by ${clash.pointer}`);
    return;
  }
  // Every caller gives a mount literal of its own: kept as it is unless its target changed.
  spec.mounts.push(target === given ? mount : { ...mount, target });
}

function sameHostPath(a: MountSource, b: MountSource): b is MountSource & { kind: 'hostPath' } {
  return a.kind === 'hostPath' && b.kind === 'hostPath' && a.path === b.path;
}

/** True when a path has a `..` element, which the API server refuses in a hostPath. */
export function hasBacksteps(path: string): boolean {
  return path.includes('..') && path.split('/').includes('..');
}

/**
 * The hostPath type of a bind source: `Socket` for a Unix socket (`/var/run/docker.sock`,
 * `*.sock`, `*.socket`), which a DirectoryOrCreate hostPath would replace by a new directory
 * when the socket is not there yet; else DirectoryOrCreate.
 */
export function bindType(path: string): 'Socket' | 'DirectoryOrCreate' {
  // The regular expression runs only when a `.` stands where `.sock` or `.socket` would begin
  // (two character reads; lastIndexOf is a call into the runtime).
  const end = path.length;
  if (path.charCodeAt(end - 5) !== DOT && path.charCodeAt(end - 7) !== DOT) return 'DirectoryOrCreate';
  return SOCKET_PATH.test(path) ? 'Socket' : 'DirectoryOrCreate';
}

/** A bind of an absolute host path; undefined (with an error) when the API server would refuse it. */
function hostPathSource(path: string, pointer: string, issues: Issues): MountSource | undefined {
  if (hasBacksteps(path)) {
    issues.error(pointer, `host path '${path}' must not contain '..' (Kubernetes refuses it in a hostPath); write the path without it`);
    return undefined;
  }
  return { kind: 'hostPath', path, type: bindType(path) };
}

/** The source of a bind or named volume: an absolute host path or a volume name. */
function sourceOf(source: string, pointer: string, issues: Issues): MountSource | undefined {
  if (source.startsWith('/')) return hostPathSource(source, pointer, issues);
  if (VOLUME_NAME.test(source)) return { kind: 'claim', source };
  issues.error(pointer, `mount source '${source}' is neither an absolute host path nor a volume name`);
  return undefined;
}

/** `HostConfig.Binds`: `["/host:/container:ro", "myvol:/data"]`. */
export function readBinds(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const binds = readArray(value, pointer, issues);
  if (binds !== undefined) for (let i = 0; i < binds.length; i++) readBind(binds[i], joinPointer(pointer, i), spec, issues);
}

/** One `Binds` entry, `SOURCE:TARGET[:OPTIONS]`, at `p`. */
function readBind(entry: unknown, p: string, spec: ModuleSpec, issues: Issues): void {
  if (typeof entry !== 'string') {
    issues.error(p, `expected a string "SOURCE:TARGET[:OPTIONS]" at ${p}, found ${typeName(entry)}`);
    return;
  }
  // The first three fields of entry.split(':'), found with indexOf (split costs far more here).
  const first = entry.indexOf(':');
  const second = first < 0 ? -1 : entry.indexOf(':', first + 1);
  const third = second < 0 ? -1 : entry.indexOf(':', second + 1);
  const src = first < 0 ? entry : entry.slice(0, first);
  const dst = first < 0 ? '' : second < 0 ? entry.slice(first + 1) : entry.slice(first + 1, second);
  const opts = second < 0 ? undefined : third < 0 ? entry.slice(second + 1) : entry.slice(second + 1, third);
  if (src === '' || dst === '' || third >= 0) {
    issues.error(p, `Binds entry '${entry}' must be SOURCE:TARGET[:OPTIONS] with a source and a target`);
    return;
  }
  const readOnly = opts === undefined || opts === '' ? false : bindReadOnly(opts, entry, p, issues);
  if (readOnly === undefined) return;
  const source = sourceOf(src, p, issues);
  if (source) addMount(spec, { target: dst, readOnly, source, pointer: p }, issues);
}

/** Whether a bind's options (`ro,z`) make it read-only; undefined (with an error) for an unknown option. */
function bindReadOnly(opts: string, entry: string, p: string, issues: Issues): boolean | undefined {
  let readOnly = false;
  for (const opt of opts.split(',')) {
    if (opt === 'ro') readOnly = true;
    else if (opt === 'rw') readOnly = false;
    else if (IGNORED_BIND_OPTIONS.has(opt))
      issues.warn(p, `bind option '${opt}' in '${entry}' has no Kubernetes equivalent and is ignored`);
    else {
      issues.error(p, `Binds entry '${entry}' has an unknown option '${opt}'`);
      return undefined;
    }
  }
  return readOnly;
}

const MOUNT_FIELDS = new Set(['Type', 'Source', 'Target', 'ReadOnly', 'Consistency', 'BindOptions', 'VolumeOptions', 'TmpfsOptions']);

/** `HostConfig.Mounts`: `[{"Type": "volume", "Source": "share", "Target": "/data"}]`. */
export function readMounts(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const mounts = readArray(value, pointer, issues);
  mounts?.forEach((entry, i) => {
    const p = joinPointer(pointer, i);
    if (!isObject(entry)) {
      issues.error(p, `expected a mount object at ${p}, found ${typeName(entry)}`);
      return;
    }
    for (const key of sortedKeys(entry)) {
      if (!MOUNT_FIELDS.has(key)) issues.warn(joinPointer(p, key), `mount field '${key}' is not supported and is ignored`);
      else if (['Consistency', 'BindOptions', 'VolumeOptions'].includes(key) && entry[key] !== undefined && entry[key] !== null && entry[key] !== '')
        issues.warn(joinPointer(p, key), `mount field '${key}' has no Kubernetes equivalent and is ignored`);
    }
    const type = readString(entry.Type, joinPointer(p, 'Type'), issues);
    const source = readString(entry.Source, joinPointer(p, 'Source'), issues) ?? '';
    const target = readString(entry.Target, joinPointer(p, 'Target'), issues);
    const readOnly = readBoolean(entry.ReadOnly, joinPointer(p, 'ReadOnly'), issues) ?? false;
    if (target === undefined || target === '') {
      issues.error(joinPointer(p, 'Target'), `mount ${p} has no Target`);
      return;
    }
    switch (type) {
      case 'bind': {
        if (!source.startsWith('/')) {
          issues.error(joinPointer(p, 'Source'), `bind mount Source '${source}' must be an absolute host path`);
          return;
        }
        const hostPath = hostPathSource(source, joinPointer(p, 'Source'), issues);
        if (hostPath) addMount(spec, { target, readOnly, source: hostPath, pointer: p }, issues);
        return;
      }
      case 'volume': {
        if (source === '') {
          addMount(spec, { target, readOnly, source: { kind: 'emptyDir' }, pointer: p }, issues);
          return;
        }
        const s = sourceOf(source, joinPointer(p, 'Source'), issues);
        if (s) addMount(spec, { target, readOnly, source: s, pointer: p }, issues);
        return;
      }
      case 'tmpfs': {
        const tmpfs = readObject(entry.TmpfsOptions, joinPointer(p, 'TmpfsOptions'), issues);
        const size = readInteger(tmpfs?.SizeBytes, joinPointer(p, 'TmpfsOptions', 'SizeBytes'), issues);
        for (const key of sortedKeys(tmpfs ?? {}))
          if (key !== 'SizeBytes')
            issues.warn(joinPointer(p, 'TmpfsOptions', key), `tmpfs option '${key}' has no Kubernetes equivalent and is ignored`);
        const src: MountSource = { kind: 'emptyDir', medium: 'Memory', sizeLimit: size ? bytesToQuantity(size) : undefined };
        addMount(spec, { target, readOnly, source: src, pointer: p }, issues);
        return;
      }
      case undefined:
        issues.error(joinPointer(p, 'Type'), `mount ${p} has no Type (bind, volume or tmpfs)`);
        return;
      default:
        issues.warn(joinPointer(p, 'Type'), `mount Type '${type}' is not supported on Kubernetes; the mount at '${target}' is left out`);
    }
  });
}

/** Parses a tmpfs size (`65536k`, `64m`, `1g`, bytes) into bytes. */
function tmpfsSize(text: string): number | undefined {
  const m = /^(\d+)([kmg]?)$/i.exec(text);
  if (!m) return undefined;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

/** `HostConfig.Tmpfs`: `{"/run": "rw,size=64m"}`. */
export function readTmpfs(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const map = readStringMap(value, pointer, issues);
  for (const target of sortedKeys(map ?? {})) {
    const p = joinPointer(pointer, target);
    let sizeLimit: string | undefined;
    for (const opt of map![target]!.split(',').filter((o) => o !== '')) {
      if (opt.startsWith('size=')) {
        const bytes = tmpfsSize(opt.slice(5));
        if (bytes === undefined || bytes === 0) {
          issues.error(p, `tmpfs size '${opt.slice(5)}' must be a number of bytes with an optional k, m or g suffix`);
          return;
        }
        sizeLimit = bytesToQuantity(bytes);
      } else if (opt !== 'rw') issues.warn(p, `tmpfs option '${opt}' has no Kubernetes equivalent and is ignored`);
    }
    addMount(spec, { target, readOnly: false, source: { kind: 'emptyDir', medium: 'Memory', sizeLimit }, pointer: p }, issues);
  }
}

/** `HostConfig.ShmSize` (bytes): a memory emptyDir at /dev/shm. */
export function readShmSize(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const size = readInteger(value, pointer, issues);
  if (!size) return;
  addMount(spec, { target: '/dev/shm', readOnly: false, source: { kind: 'emptyDir', medium: 'Memory', sizeLimit: bytesToQuantity(size) }, pointer }, issues);
}

/** `Volumes` (anonymous volumes): `{"/data": {}}` -> emptyDir. */
export function readVolumes(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const map = readObject(value, pointer, issues);
  for (const target of sortedKeys(map ?? {})) {
    // Older Docker clients declare bind targets in Volumes too: a mount on the path wins.
    // (HostConfig is read before Volumes, so its mounts are already known.)
    const normalized = target.length > 1 ? target.replace(/\/+$/, '') : target;
    if (spec.mounts.some((m) => m.target === normalized)) continue;
    addMount(spec, { target, readOnly: false, source: { kind: 'emptyDir' }, pointer: joinPointer(pointer, target) }, issues);
  }
}

/** `HostConfig.Devices`: `[{"PathOnHost": "/dev/ttyUSB0", "PathInContainer": "/dev/ttyUSB0", "CgroupPermissions": "rwm"}]`. */
export function readDevices(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const devices = readArray(value, pointer, issues);
  devices?.forEach((entry, i) => {
    const p = joinPointer(pointer, i);
    const device = readObject(entry, p, issues);
    if (!device) return;
    const host = readString(device.PathOnHost, joinPointer(p, 'PathOnHost'), issues);
    const inContainer = readString(device.PathInContainer, joinPointer(p, 'PathInContainer'), issues);
    readString(device.CgroupPermissions, joinPointer(p, 'CgroupPermissions'), issues);
    if (!host || !host.startsWith('/')) {
      issues.error(joinPointer(p, 'PathOnHost'), `device ${p} needs an absolute PathOnHost`);
      return;
    }
    for (const key of sortedKeys(device))
      if (!['PathOnHost', 'PathInContainer', 'CgroupPermissions'].includes(key))
        issues.warn(joinPointer(p, key), `device field '${key}' is not supported and is ignored`);
    const target = inContainer || host;
    addMount(spec, { target, readOnly: false, source: { kind: 'hostPath', path: host, type: 'CharDevice' }, pointer: p }, issues);
  });
}

/** Every device mount needs a privileged container on Kubernetes: warn when it is not. */
export function checkDevices(spec: ModuleSpec, issues: Issues): void {
  if (spec.securityContext.privileged === true) return;
  for (const m of spec.mounts)
    if (m.source.kind === 'hostPath' && m.source.type === 'CharDevice')
      issues.warn(
        m.pointer,
        `device '${m.source.path}' is mounted as a hostPath CharDevice volume, but Kubernetes grants device access only to privileged containers (set HostConfig.Privileged, or use a device plugin)`,
      );
}

const NO_NAMES: ReadonlySet<string> = new Set();

/** The volume and mount entries of a pod for a module's mounts; `claimName` maps a volume source to its claim. */
export function podVolumes(
  mounts: readonly MountSpec[],
  claimName: (source: string) => string,
  reserved: ReadonlySet<string> = NO_NAMES,
): { volumes: Record<string, unknown>[]; volumeMounts: Record<string, unknown>[] } {
  // No mount, or one (most modules): nothing to share or to keep apart. Array literals: a list
  // started empty takes room for 17 items at its first push.
  if (mounts.length <= 1 && reserved.size === 0) {
    if (mounts.length === 0) return { volumes: [], volumeMounts: [] };
    const m = mounts[0]!;
    const name = volumeName(m.source, m.target, reserved);
    return { volumes: [volumeEntry(name, m.source, claimName)], volumeMounts: [mountEntry(m, name)] };
  }
  const volumes: Record<string, unknown>[] = [];
  const volumeMounts: Record<string, unknown>[] = [];
  const byIdentity = new Map<string, string>();
  const taken = new Set(reserved);
  for (const m of sortBy([...mounts], (a, b) => compareText(a.target, b.target))) {
    const identity = identityOf(m.source, m.target);
    let name = byIdentity.get(identity);
    if (name === undefined) {
      name = volumeName(m.source, m.target, taken);
      taken.add(name);
      byIdentity.set(identity, name);
      volumes.push(volumeEntry(name, m.source, claimName));
    }
    volumeMounts.push(mountEntry(m, name));
  }
  return { volumes, volumeMounts };
}

/** A container's mount of volume `name`, keys in output order. */
function mountEntry(m: MountSpec, name: string): Record<string, unknown> {
  return m.readOnly ? { mountPath: m.target, name, readOnly: true } : { mountPath: m.target, name };
}

/** Mounts of the same host path or claim share one volume; emptyDirs are per mount. */
function identityOf(source: MountSource, target: string): string {
  switch (source.kind) {
    case 'hostPath':
      return `hostPath:${source.type}:${source.path}`;
    case 'claim':
      return `claim:${source.source}`;
    case 'emptyDir':
      return `emptyDir:${target}`;
  }
}

/** A pod volume, keys in output order (`emptyDir` < `hostPath` < `name` < `persistentVolumeClaim`). */
function volumeEntry(name: string, source: MountSource, claimName: (source: string) => string): Record<string, unknown> {
  switch (source.kind) {
    case 'hostPath':
      return { hostPath: { path: source.path, type: source.type }, name };
    case 'claim':
      return { name, persistentVolumeClaim: { claimName: claimName(source.source) } };
    case 'emptyDir':
      return { emptyDir: sortedRecord({ medium: source.medium, sizeLimit: source.sizeLimit }), name };
  }
}

/**
 * `text` lower-cased, each run of characters other than `a-z` and `0-9` replaced by one `-`,
 * without a `-` at either end (`/var/lib/Data` -> `var-lib-data`). One pass over the text.
 */
export function slugOf(text: string): string {
  const lower = text.toLowerCase();
  let out = '';
  let start = -1;
  for (let i = 0; i <= lower.length; i++) {
    const c = i < lower.length ? lower.charCodeAt(i) : -1;
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      out = out === '' ? lower.slice(start, i) : `${out}-${lower.slice(start, i)}`;
      start = -1;
    }
  }
  return out;
}

/** A readable, unique DNS-1123 label: `host-var-lib-data`, `claim-share1`, `tmp-run`, `shm`. */
function volumeName(source: MountSource, target: string, taken: ReadonlySet<string>): string {
  let prefix: string;
  let text: string;
  if (source.kind === 'hostPath') {
    prefix = source.type === 'CharDevice' ? 'dev' : 'host';
    text = source.path;
  } else if (source.kind === 'claim') {
    prefix = 'claim';
    text = source.source;
  } else {
    prefix = target === '/dev/shm' ? 'shm' : source.medium === 'Memory' ? 'tmp' : 'data';
    text = target;
  }
  const slug = slugOf(text);
  const full = slug === '' || (prefix === 'shm' && target === '/dev/shm') ? prefix : `${prefix}-${slug}`;
  let name = full.length <= MAX_LABEL_LENGTH ? full : withHash(full, `${prefix}:${text}`);
  // Looked up only when some name is taken (a module with one mount: none). The lookup would
  // flatten and hash the name, which is built of parts.
  if (taken.size > 0 && taken.has(name)) {
    name = withHash(full, `${prefix}:${text}:${target}`);
    for (let i = 2; taken.has(name); i++) name = withHash(full, `${prefix}:${text}:${target}:${i}`);
  }
  return name;
}

/** The claim for a named volume used by one or more modules. */
export interface ClaimUse {
  /** Kubernetes name of the claim. */
  name: string;
  /** Kubernetes names of the modules that mount it. */
  modules: string[];
}

/**
 * A PersistentVolumeClaim. `pre-provisioned` binds it to the PersistentVolume of the same name
 * with `storageClassName: ""` (Azure Stack Edge shares); `dynamic` uses `storageClassName` (or
 * the cluster default). Access mode ReadWriteOnce: every module of a device runs on one node.
 */
export function buildClaim(claim: ClaimUse, device: DeviceLabels, options: TranslateOptions): KubeObject {
  const preProvisioned = options.volumeBinding === 'pre-provisioned';
  const labels = objectLabels(device, claim.name, claim.modules.length === 1 ? claim.modules[0] : undefined);
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { labels, name: claim.name, namespace: options.namespace },
    spec: sortedRecord({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: options.volumeSize } },
      storageClassName: preProvisioned ? '' : options.storageClassName,
      volumeName: preProvisioned ? claim.name : undefined,
    }),
  };
}

