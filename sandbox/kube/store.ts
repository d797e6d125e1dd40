/**
 * The object store: every object by type, namespace and name, one global
 * monotonic resourceVersion, and a bounded history of changes for watches.
 */
import { expired } from './errors.js';
import type { ResourceType } from './resources.js';
import type { KubeObject } from './types.js';

/** A change as watches and controllers see it. */
export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: ResourceType;
  object: KubeObject;
  /** The object before the change (undefined for ADDED). */
  previous?: KubeObject;
  resourceVersion: number;
}

/** Receives every change, synchronously, in resourceVersion order. */
export type StoreListener = (event: StoreEvent) => void;

/** Each type's key, made once per type object (every read and write needs it). */
const typeKeys = new WeakMap<ResourceType, string>();

function typeKey(t: ResourceType): string {
  let key = typeKeys.get(t);
  if (key === undefined) {
    key = `${t.group}/${t.plural}`;
    typeKeys.set(t, key);
  }
  return key;
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

const NO_UIDS: string[] = [];

/** The uids an object's ownerReferences name. */
function ownerUids(obj: KubeObject | undefined): string[] {
  const refs = obj?.metadata.ownerReferences;
  if (!Array.isArray(refs) || refs.length === 0) return NO_UIDS;
  const out: string[] = [];
  for (const ref of refs as unknown[]) {
    const uid = typeof ref === 'object' && ref !== null ? (ref as { uid?: unknown }).uid : undefined;
    if (typeof uid === 'string' && !out.includes(uid)) out.push(uid);
  }
  return out;
}

/** In-memory object store with a retained change window. */
export class ObjectStore {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private historyStart = 0;
  private readonly listeners = new Set<StoreListener>();
  /** The sorted keys of each type's bucket, until an object is added or removed there. */
  private readonly sortedKeys = new Map<string, string[]>();
  /** Each type's objects by the uid of every owner their ownerReferences name, then by key. */
  private readonly byOwner = new Map<string, Map<string, Map<string, KubeObject>>>();
  private version = 1;

  constructor(private readonly retained = 10_000) {}

  /** The latest resourceVersion issued. */
  get resourceVersion(): number {
    return this.version;
  }

  /** The object or undefined. Callers must not mutate it. */
  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(typeKey(type))?.get(objectKey(type.namespaced ? namespace : undefined, name));
  }

  /** All objects of a type (in one namespace when given), sorted by namespace and name. */
  list(type: ResourceType, namespace?: string): KubeObject[] {
    const bucket = this.objects.get(typeKey(type));
    if (!bucket) return [];
    let keys = this.sortedKeys.get(typeKey(type));
    if (!keys) {
      keys = [...bucket.keys()].sort();
      this.sortedKeys.set(typeKey(type), keys);
    }
    if (namespace === undefined) return keys.map((key) => bucket.get(key)!);
    // The keys of one namespace (`<namespace>/<name>`) are one run of the sorted keys.
    const prefix = `${namespace}/`;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: KubeObject[] = [];
    for (let i = lo; i < keys.length && keys[i]!.startsWith(prefix); i++) out.push(bucket.get(keys[i]!)!);
    return out;
  }

  /**
   * The objects of a type (in one namespace when given) whose ownerReferences name `uid`,
   * sorted by namespace and name as {@link list} would return them: the controllers' and the
   * garbage collector's look-up of dependents without scanning every object of the type.
   */
  ownedBy(type: ResourceType, uid: string | undefined, namespace?: string): KubeObject[] {
    if (uid === undefined) return [];
    const owned = this.byOwner.get(typeKey(type))?.get(uid);
    if (!owned) return [];
    const keys = [...owned.keys()].sort();
    const out: KubeObject[] = [];
    for (const key of keys) {
      const obj = owned.get(key)!;
      if (namespace === undefined || obj.metadata.namespace === namespace) out.push(obj);
    }
    return out;
  }

  /** Moves `key` in the owner index from `previous`'s owners to `next`'s. */
  private index(type: ResourceType, key: string, previous: KubeObject | undefined, next: KubeObject | undefined): void {
    const before = ownerUids(previous);
    const after = ownerUids(next);
    if (before.length === 0 && after.length === 0) return;
    let owners = this.byOwner.get(typeKey(type));
    if (!owners) {
      owners = new Map();
      this.byOwner.set(typeKey(type), owners);
    }
    for (const uid of before) {
      if (after.includes(uid)) continue;
      const owned = owners.get(uid);
      owned?.delete(key);
      if (owned?.size === 0) owners.delete(uid);
    }
    for (const uid of after) {
      let owned = owners.get(uid);
      if (!owned) {
        owned = new Map();
        owners.set(uid, owned);
      }
      owned.set(key, next!);
    }
  }

  /** Number of stored objects of every type. */
  count(): number {
    let n = 0;
    for (const bucket of this.objects.values()) n += bucket.size;
    return n;
  }

  /** Stores a created or changed object under a new resourceVersion and notifies listeners. */
  put(type: ResourceType, obj: KubeObject): KubeObject {
    const key = objectKey(type.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name ?? '');
    let bucket = this.objects.get(typeKey(type));
    if (!bucket) {
      bucket = new Map();
      this.objects.set(typeKey(type), bucket);
    }
    const previous = bucket.get(key);
    if (!previous) this.sortedKeys.delete(typeKey(type));
    this.version++;
    obj.metadata.resourceVersion = String(this.version);
    bucket.set(key, obj);
    this.index(type, key, previous, obj);
    this.emit({ type: previous ? 'MODIFIED' : 'ADDED', resource: type, object: obj, previous, resourceVersion: this.version });
    return obj;
  }

  /** Removes an object; the DELETED event carries a new resourceVersion. */
  remove(type: ResourceType, obj: KubeObject): KubeObject | undefined {
    const key = objectKey(type.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name ?? '');
    const bucket = this.objects.get(typeKey(type));
    const previous = bucket?.get(key);
    if (!bucket || !previous) return undefined;
    bucket.delete(key);
    this.index(type, key, previous, undefined);
    this.sortedKeys.delete(typeKey(type));
    this.version++;
    const gone: KubeObject = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(this.version) } };
    this.emit({ type: 'DELETED', resource: type, object: gone, previous, resourceVersion: this.version });
    return gone;
  }

  /**
   * Starts the watch window at the current version, as a freshly started API server's
   * watch cache does: watches from older versions get 410 Expired.
   */
  startWindow(): void {
    this.history.length = 0;
    this.historyStart = this.version;
  }

  /** Subscribes to every future change. Returns the unsubscribe function. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Changes after `resourceVersion` still in the retained window; throws 410 Expired
   * when the window no longer reaches back that far.
   */
  since(resourceVersion: number): StoreEvent[] {
    if (resourceVersion >= this.version) return [];
    if (resourceVersion < this.historyStart) {
      throw expired(`too old resource version: ${resourceVersion} (${this.historyStart})`);
    }
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid]!.resourceVersion <= resourceVersion) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    // Drop the oldest changes in batches (a splice per write moved the whole window each time):
    // the window keeps at least `retained` changes and at most a quarter more.
    if (this.history.length > this.retained + Math.max(1, this.retained >> 2)) {
      const dropped = this.history.splice(0, this.history.length - this.retained);
      this.historyStart = dropped[dropped.length - 1]!.resourceVersion;
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A failing listener (a controller) must not fail the write that caused the event.
      }
    }
  }
}
