/**
 * The API semantics on top of the store: create/get/list/update/patch/apply/delete
 * with metadata bookkeeping, defaulting, validation, field ownership, finalizers
 * and deletion propagation. Used by the HTTP layer and by the simulated controllers.
 */
import { randomUUID } from 'node:crypto';
import { applyDefaults, type ServiceAllocator } from './defaults.js';
import { alreadyExists, badRequest, conflict, invalid, KubeApiError, notFound } from './errors.js';
import { copyManagedFields, managedFieldsEqual, recordUpdate, serverSideApply } from './managed-fields.js';
import { jsonMergePatch, jsonPatch, strategicMergePatch } from './patch.js';
import { findType, groupVersion, type ResourceType } from './resources.js';
import { matchFields, matchLabels, type FieldRequirement, type LabelRequirement } from './selectors.js';
import type { ObjectStore } from './store.js';
import { clone, dropNulls, isObject, jsonEqual, type KubeObject } from './types.js';
import { QUANTITY_SYNTAX } from './quantity.js';
import { normalizeQuantities, typeMismatches } from './schemas.js';
import { base64Error, validateObject } from './validation.js';

/** Options shared by writes. */
export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  subresource?: 'status' | 'scale';
  /**
   * The caller only reads the result (e.g. serialises it with {@link jsonOf}): it may be the
   * stored object itself instead of a copy.
   */
  shared?: boolean;
  /**
   * Create and update: the body is built for this write (fresh values, or a spread copy of
   * stored objects: `{ ...stored, status }`) and nobody changes its nested values afterwards,
   * so the stored version takes them (and shares what it shares with the old one) without a copy.
   */
  spread?: boolean;
  /**
   * Create and update by a simulated controller: the body is built from stored (already checked
   * and normalised) values and the controller's own typed values without nulls, so the null
   * dropping, JSON type checks and quantity normalisation a client's body needs are skipped.
   * Defaulting, validation and field ownership still run.
   */
  trusted?: boolean;
}

/** What one server-side apply sent: the same request onto the same stored object gives the same answer. */
interface ApplyKey {
  manager: string;
  force: boolean;
  scope: 'main' | 'status';
  text: string;
}

const sameApply = (a: ApplyKey, b: ApplyKey) => a.text === b.text && a.manager === b.manager && a.force === b.force && a.scope === b.scope;

/** JSON text of stored objects (never changed in place), made once per object. */
const jsonTexts = new WeakMap<object, string>();

/**
 * The JSON text of an object {@link KubeApi} returned with `shared` (cached per stored object).
 * (Putting it together from cached texts of its top-level parts, so that a status write would
 * reuse its spec's text, cost more than it saved: 1.07-1.14x the emulator's CPU per rollout.)
 */
export function jsonOf(obj: object): string {
  let text = jsonTexts.get(obj);
  if (text === undefined) {
    text = JSON.stringify(obj);
    jsonTexts.set(obj, text);
  }
  return text;
}

/** Patch flavours accepted by PATCH. */
export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

/** Options of a delete. */
export interface DeleteOptions {
  dryRun?: boolean;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  /** Pods only: seconds the kubelet gets to stop the containers (0 deletes right away). */
  gracePeriodSeconds?: number;
}

/** Result of a delete: the object and whether it is gone or only marked. */
export interface DeleteResult {
  object: KubeObject;
  deleted: boolean;
}

const NAMESPACES = findType('', 'namespaces')!;
const PODS = findType('', 'pods')!;

function randomSuffix(length: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

/** Everything that is not metadata or status: what a generation bump looks at. */
function specPart(obj: KubeObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!['metadata', 'status', 'apiVersion', 'kind'].includes(k)) out[k] = v;
  return out;
}

/**
 * Kinds whose status subresource takes the annotations of the body it is sent (the rest of the
 * metadata stays the stored one's): a Deployment's status strategy resets only its spec and
 * labels (kubernetes pkg/registry/apps/deployment/strategy.go, deploymentStatusStrategy), and the
 * Deployment controller writes the revision annotation with its status in one UpdateStatus
 * (pkg/controller/deployment/sync.go, getNewReplicaSet).
 */
const STATUS_TAKES_ANNOTATIONS = new Set(['Deployment']);

/** Fields the server owns in metadata and keeps across updates. */
const SYSTEM_METADATA = ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const;

/** The API server's request semantics (no HTTP). */
export class KubeApi {
  /** Applies known to leave a stored object as it is (a few per object). */
  private readonly noOpApplies = new WeakMap<KubeObject, ApplyKey[]>();

  constructor(
    readonly store: ObjectStore,
    private readonly alloc: ServiceAllocator,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private stampSecond = NaN;
  private stampText = '';

  /** The current time in whole seconds, RFC 3339 (formatted once per second). */
  private timestamp(): string {
    const second = Math.floor(this.now().getTime() / 1000);
    if (second !== this.stampSecond) {
      this.stampSecond = second;
      this.stampText = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    return this.stampText;
  }

  /** 404 when the namespace is missing, 403 when it is being deleted. */
  private requireNamespace(type: ResourceType, namespace: string | undefined, name: string): void {
    if (!type.namespaced) return;
    if (!namespace) throw badRequest('the server could not find the requested resource: namespace required');
    const ns = this.store.get(NAMESPACES, undefined, namespace);
    if (!ns) throw notFound('namespaces', '', namespace);
    if (ns.metadata.deletionTimestamp) {
      throw new KubeApiError(
        403,
        'Forbidden',
        `${type.plural} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        { kind: type.plural },
      );
    }
  }

  /** The stored object (a copy) or 404. */
  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    return clone(this.peek(type, namespace, name));
  }

  /** The stored object itself (never to be changed: spread it into a new object to write) or 404. */
  peek(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(type, namespace, name);
    if (!obj) throw notFound(type.plural, type.group, name);
    return obj;
  }

  /** The stored object itself (never to be changed) or undefined. */
  tryPeek(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(type, namespace, name);
  }

  /** The stored object (a copy) or undefined. */
  tryGet(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.store.get(type, namespace, name);
    return obj ? clone(obj) : undefined;
  }

  /** Matching objects (not copied: callers must not mutate) and the list resourceVersion. */
  list(
    type: ResourceType,
    namespace: string | undefined,
    labels: LabelRequirement[] = [],
    fields: FieldRequirement[] = [],
  ): { items: KubeObject[]; resourceVersion: string } {
    const items = this.store
      .list(type, type.namespaced ? namespace : undefined)
      .filter((o) => matchLabels(labels, o.metadata.labels) && matchFields(fields, o));
    return { items, resourceVersion: String(this.store.resourceVersion) };
  }

  /** Checks kind/apiVersion against the URL's type; a missing metadata becomes `{}`. */
  private checkKind(type: ResourceType, body: KubeObject): void {
    if (isObject(body) && body.metadata === undefined) body.metadata = {};
    if (!isObject(body) || !isObject(body.metadata)) throw badRequest('the body of the request was in an unknown format');
    if (body.kind !== undefined && body.kind !== type.kind) {
      throw badRequest(`the object provided is unrecognized (must be of type ${type.kind}): kind ${String(body.kind)} does not match`);
    }
    if (body.apiVersion !== undefined && body.apiVersion !== groupVersion(type)) {
      throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${groupVersion(type)})`);
    }
  }

  private finish(type: ResourceType, obj: KubeObject): KubeObject {
    obj.apiVersion = groupVersion(type);
    obj.kind = type.kind;
    return obj;
  }

  /** Create; 409 AlreadyExists, 404 when the namespace is missing, 422 when invalid. */
  create(type: ResourceType, namespace: string | undefined, body: KubeObject, opts: WriteOptions = {}): KubeObject {
    this.checkKind(type, body);
    const obj = opts.spread ? { ...body, metadata: { ...body.metadata } } : clone(body);
    const meta = obj.metadata;
    if (type.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== '' && namespace !== undefined && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace ?? meta.namespace;
    } else delete meta.namespace;
    this.requireNamespace(type, meta.namespace, meta.name ?? meta.generateName ?? '');
    if ((!meta.name || meta.name === '') && typeof meta.generateName === 'string' && meta.generateName !== '') {
      meta.name = `${meta.generateName}${randomSuffix(5)}`;
    }
    if (meta.name && this.store.get(type, meta.namespace, meta.name)) throw alreadyExists(type.plural, type.group, meta.name);
    meta.uid = randomUUID();
    meta.creationTimestamp = this.timestamp();
    meta.generation = 1;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.managedFields;
    if (type.subresources.includes('status') && type.kind !== 'Namespace') delete obj.status;
    if (type.kind === 'Pod') obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
    this.finish(type, obj);
    return this.admitAndStore(type, undefined, obj, opts, opts.fieldManager ?? 'unknown', 'Update');
  }

  /**
   * 400 when a value has the wrong JSON type or a byte field is not base64, worded like
   * the real server's decoding errors.
   */
  private checkTypes(type: ResourceType, obj: KubeObject, old?: KubeObject): void {
    const prefix = `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}:`;
    if (normalizeQuantities(type.model, obj, '', old) !== undefined) throw badRequest(`${prefix} ${QUANTITY_SYNTAX}`);
    const [first] = typeMismatches(type.model, obj, '', [], old);
    if (first) {
      throw badRequest(`${prefix} json: cannot unmarshal ${first.got} into Go struct field ${type.kind}.${first.path} of type ${first.expected}`);
    }
    const bytes = type.kind === 'Secret' ? obj.data : type.kind === 'ConfigMap' ? obj.binaryData : undefined;
    if (!isObject(bytes)) return;
    for (const value of Object.values(bytes)) {
      const at = base64Error(String(value));
      if (at >= 0) throw badRequest(`${prefix} illegal base64 data at input byte ${at}`);
    }
  }

  /** Defaulting, validation, field ownership, then store (unless dry run). */
  private admitAndStore(
    type: ResourceType,
    old: KubeObject | undefined,
    obj: KubeObject,
    opts: WriteOptions,
    manager: string,
    operation: 'Update' | 'Apply',
  ): KubeObject {
    // What `obj` shares with the stored version `old` (controller updates) was checked when stored.
    if (!opts.trusted) {
      dropNulls(obj, old);
      this.checkTypes(type, obj, old);
    }
    applyDefaults(type, obj, old, this.alloc);
    const causes = validateObject(type, obj, old);
    if (causes.length > 0) throw invalid(type.kind, type.group, obj.metadata.name ?? '', causes);
    if (operation === 'Update') {
      recordUpdate(old, obj, manager, groupVersion(type), this.timestamp(), opts.subresource === 'status' ? 'status' : 'main');
    }
    if (old) {
      const unchanged =
        jsonEqual({ ...obj, metadata: { ...obj.metadata, managedFields: undefined, resourceVersion: undefined } }, {
          ...old,
          metadata: { ...old.metadata, managedFields: undefined, resourceVersion: undefined },
        }) && managedFieldsEqual(obj, old);
      if (unchanged) return opts.shared ? old : clone(old);
    }
    if (opts.dryRun) return obj;
    if (old && obj.metadata.deletionTimestamp && (old.metadata.finalizers ?? []).length > 0 && (obj.metadata.finalizers ?? []).length === 0) {
      const gone = this.store.remove(type, obj);
      return clone(gone ?? obj);
    }
    const stored = this.store.put(type, obj);
    return opts.shared ? stored : clone(stored);
  }

  /** Builds the next version of `old` from a full object sent by update. */
  private nextFromUpdate(type: ResourceType, old: KubeObject, body: KubeObject, subresource: WriteOptions['subresource'], fresh = false): KubeObject {
    this.checkKind(type, body);
    const sent = body.metadata.resourceVersion;
    if (sent !== undefined && sent !== '' && sent !== old.metadata.resourceVersion) {
      throw conflict(type.plural, type.group, old.metadata.name ?? '');
    }
    if (body.metadata.name !== undefined && body.metadata.name !== old.metadata.name) {
      throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${old.metadata.name})`);
    }
    let next: KubeObject;
    if (subresource === 'status') {
      next = fresh ? { ...old, metadata: { ...old.metadata, managedFields: copyManagedFields(old.metadata.managedFields) }, status: body.status } : clone(old);
      if (!fresh) next.status = clone(body.status);
      if (STATUS_TAKES_ANNOTATIONS.has(type.kind)) {
        const annotations = body.metadata.annotations;
        if (annotations === undefined) delete next.metadata.annotations;
        else next.metadata.annotations = fresh ? annotations : clone(annotations);
      }
    } else {
      // A fresh body (built for this request, sharing nothing) needs no copy.
      next = fresh ? { ...body } : clone(body);
      next.metadata = fresh ? { ...body.metadata } : { ...clone(body.metadata) };
      if (type.subresources.includes('status')) {
        if (old.status === undefined) delete next.status;
        else next.status = clone(old.status);
      }
      if (body.metadata.managedFields === undefined) next.metadata.managedFields = copyManagedFields(old.metadata.managedFields);
    }
    for (const key of SYSTEM_METADATA) {
      if (old.metadata[key] === undefined) delete next.metadata[key];
      else (next.metadata as Record<string, unknown>)[key] = old.metadata[key];
    }
    next.metadata.name = old.metadata.name;
    if (type.namespaced) next.metadata.namespace = old.metadata.namespace;
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (!jsonEqual(specPart(next), specPart(old))) next.metadata.generation = (old.metadata.generation ?? 1) + 1;
    return this.finish(type, next);
  }

  /** Update (PUT); 409 Conflict when the resourceVersion is stale. */
  update(type: ResourceType, namespace: string | undefined, name: string, body: KubeObject, opts: WriteOptions = {}): KubeObject {
    // The stored object itself: nextFromUpdate and admission only read it.
    const old = this.peek(type, namespace, name);
    const next = this.nextFromUpdate(type, old, body, opts.subresource, opts.spread);
    return this.admitAndStore(type, old, next, opts, opts.fieldManager ?? 'unknown', 'Update');
  }

  /** PATCH of every flavour; apply patches create the object when it does not exist. */
  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    patch: unknown,
    opts: WriteOptions & { force?: boolean } = {},
  ): KubeObject {
    if (patchType === 'apply') return this.apply(type, namespace, name, patch, opts);
    const old = this.get(type, namespace, name);
    let patched: unknown;
    if (patchType === 'json') patched = jsonPatch(old, patch);
    else {
      if (!isObject(patch)) throw badRequest('patch body must be a JSON object');
      patched = patchType === 'merge' ? jsonMergePatch(old, patch) : strategicMergePatch(old, patch);
    }
    if (!isObject(patched)) throw badRequest('patch result is not an object');
    const body = patched as KubeObject;
    const sentVersion = isObject(patch) && isObject(patch.metadata) ? patch.metadata.resourceVersion : undefined;
    body.metadata = isObject(body.metadata) ? body.metadata : {};
    body.metadata.resourceVersion = typeof sentVersion === 'string' ? sentVersion : old.metadata.resourceVersion;
    const next = this.nextFromUpdate(type, old, body, opts.subresource);
    return this.admitAndStore(type, old, next, opts, opts.fieldManager ?? 'unknown', 'Update');
  }

  /** Server-side apply (`application/apply-patch+yaml`). */
  apply(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    opts: WriteOptions & { force?: boolean },
  ): KubeObject {
    if (!opts.fieldManager) {
      throw badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    }
    if (!isObject(patch) || !isObject(patch.metadata)) throw badRequest('apply patch must be an object with metadata');
    const applied = patch as KubeObject;
    this.checkKind(type, applied);
    if (applied.kind === undefined || applied.apiVersion === undefined) {
      throw badRequest('apply patches must specify apiVersion and kind');
    }
    if (applied.metadata.name !== undefined && applied.metadata.name !== name) {
      throw badRequest(`the name of the object (${String(applied.metadata.name)}) does not match the name on the URL (${name})`);
    }
    // The stored object itself: read only below (serverSideApply copies it before merging).
    const old = this.tryPeek(type, namespace, name);
    const scope = opts.subresource === 'status' ? 'status' : 'main';
    const request = { manager: opts.fieldManager, force: opts.force ?? false, apiVersion: groupVersion(type), time: this.timestamp(), scope } as const;
    if (type.namespaced && typeof applied.metadata.namespace === 'string' && applied.metadata.namespace !== '' && applied.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (!old) {
      if (scope === 'status') throw notFound(type.plural, type.group, name);
      const merged = serverSideApply(undefined, applied, request);
      merged.metadata.name = name;
      return this.createForApply(type, namespace, merged, opts);
    }
    const sent = applied.metadata.resourceVersion;
    if (typeof sent === 'string' && sent !== '' && sent !== old.metadata.resourceVersion) {
      throw conflict(type.plural, type.group, name);
    }
    // The same apply onto the same stored object already changed nothing: it changes nothing again
    // (apply is a function of the stored object and the request; stored objects never change in place).
    const key: ApplyKey = { manager: opts.fieldManager, force: opts.force ?? false, scope, text: JSON.stringify(applied) };
    const noOp = this.noOpApplies.get(old);
    if (noOp?.some((k) => sameApply(k, key))) return opts.shared ? old : clone(old);
    const merged = serverSideApply(old, applied, request);
    const next = this.nextFromUpdate(type, old, { ...merged, metadata: { ...merged.metadata, resourceVersion: old.metadata.resourceVersion } }, opts.subresource, true);
    next.metadata.managedFields = merged.metadata.managedFields;
    const result = this.admitAndStore(type, old, next, { ...opts, shared: true }, opts.fieldManager, 'Apply');
    if (result === old) this.noOpApplies.set(old, [...(noOp ?? []).slice(-7), key]);
    return opts.shared || (opts.dryRun && result !== old) ? result : clone(result);
  }

  private createForApply(type: ResourceType, namespace: string | undefined, obj: KubeObject, opts: WriteOptions): KubeObject {
    this.checkKind(type, obj);
    const meta = obj.metadata;
    if (type.namespaced) meta.namespace = namespace;
    this.requireNamespace(type, meta.namespace, meta.name ?? '');
    meta.uid = randomUUID();
    meta.creationTimestamp = this.timestamp();
    meta.generation = 1;
    if (type.subresources.includes('status') && type.kind !== 'Namespace') delete obj.status;
    if (type.kind === 'Pod') obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
    this.finish(type, obj);
    if (this.store.get(type, meta.namespace, meta.name ?? '')) throw alreadyExists(type.plural, type.group, meta.name ?? '');
    dropNulls(obj);
    this.checkTypes(type, obj);
    applyDefaults(type, obj, undefined, this.alloc);
    const causes = validateObject(type, obj);
    if (causes.length > 0) throw invalid(type.kind, type.group, meta.name ?? '', causes);
    if (opts.dryRun) return obj;
    const stored = this.store.put(type, obj);
    return opts.shared ? stored : clone(stored);
  }

  /**
   * Delete. Objects with finalizers (or Foreground propagation) are only marked with
   * deletionTimestamp; Orphan removes the owner reference from dependents first.
   */
  delete(type: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions = {}): DeleteResult {
    // The stored object itself: read only (the marked versions below are spread copies).
    const old = this.peek(type, namespace, name);
    const pre = opts.preconditions ?? {};
    if ((pre.uid && pre.uid !== old.metadata.uid) || (pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion)) {
      throw conflict(type.plural, type.group, name);
    }
    const policy = opts.propagationPolicy ?? (type.kind === 'Job' ? 'Orphan' : 'Background');
    if (opts.dryRun) return { object: clone(old), deleted: true };
    if (policy === 'Orphan') this.orphanDependents(old);
    if (type.kind === 'Pod' && (old.metadata.finalizers ?? []).length === 0 && policy !== 'Foreground') {
      const grace = opts.gracePeriodSeconds ?? Number(old.spec?.terminationGracePeriodSeconds ?? 30);
      if (grace > 0 && old.spec?.nodeName && !old.metadata.deletionTimestamp) {
        const deletionTimestamp = new Date(this.now().getTime() + grace * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        const marked: KubeObject = { ...old, metadata: { ...old.metadata, deletionTimestamp, deletionGracePeriodSeconds: grace } };
        return { object: clone(this.store.put(type, marked)), deleted: false };
      }
      if (old.metadata.deletionTimestamp && grace > 0) return { object: clone(old), deleted: false };
    }
    const finalizers = [...(old.metadata.finalizers ?? [])];
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
    if (type.kind === 'Namespace' || finalizers.length > 0) {
      if (old.metadata.deletionTimestamp && jsonEqual(finalizers, old.metadata.finalizers ?? [])) return { object: clone(old), deleted: false };
      const marked: KubeObject = { ...old, metadata: { ...old.metadata } };
      marked.metadata.deletionTimestamp ??= this.timestamp();
      marked.metadata.deletionGracePeriodSeconds ??= 0;
      if (finalizers.length > 0) marked.metadata.finalizers = finalizers;
      if (type.kind === 'Namespace') marked.status = { ...(marked.status ?? {}), phase: 'Terminating' };
      return { object: clone(this.store.put(type, marked)), deleted: false };
    }
    const gone = this.store.remove(type, old);
    return { object: clone(gone ?? old), deleted: true };
  }

  /** Removes `owner`'s uid from the ownerReferences of every object in its namespace. */
  private orphanDependents(owner: KubeObject): void {
    const uid = owner.metadata.uid;
    for (const { type, object } of this.dependentsOf(owner)) {
      const next = clone(object);
      next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
      this.store.put(type, next);
    }
  }

  /** Objects that list `owner` in their ownerReferences. */
  dependentsOf(owner: KubeObject): Array<{ type: ResourceType; object: KubeObject }> {
    const uid = owner.metadata.uid;
    const out: Array<{ type: ResourceType; object: KubeObject }> = [];
    for (const type of DEPENDENT_TYPES) {
      for (const object of this.store.ownedBy(type, uid, type.namespaced ? owner.metadata.namespace : undefined)) out.push({ type, object });
    }
    return out;
  }

  /** Removes one finalizer from an object (deleting it when it was the last one and deletion is pending). */
  removeFinalizer(type: ResourceType, obj: KubeObject, finalizer: string): void {
    const current = this.store.get(type, obj.metadata.namespace, obj.metadata.name ?? '');
    if (!current) return;
    const next = clone(current);
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers) this.store.remove(type, next);
    else this.store.put(type, next);
  }

  /** Removes an object right away (namespace controller, immediate pod deletion). */
  forceRemove(type: ResourceType, obj: KubeObject): void {
    const current = this.store.get(type, obj.metadata.namespace, obj.metadata.name ?? '');
    if (current) this.store.remove(type, current);
  }
}

/** Types that can have owners, in the order the collector looks at them. */
const DEPENDENT_TYPES: ResourceType[] = [
  findType('apps', 'replicasets')!,
  PODS,
  findType('', 'services')!,
  findType('', 'configmaps')!,
  findType('', 'secrets')!,
  findType('', 'serviceaccounts')!,
  findType('', 'persistentvolumeclaims')!,
  findType('batch', 'jobs')!,
  findType('apps', 'deployments')!,
  findType('coordination.k8s.io', 'leases')!,
];
