/**
 * Identity registry of the emulated hub: devices, modules, their symmetric keys and twins, the
 * `iothubowner` policy key and the stored configurations. Optionally persisted to one JSON file
 * (written atomically after every change, reloaded on start).
 *
 * It emits `desired` whenever a twin's desired properties change, with the merge patch that a
 * connected device must receive, and `tags` when a device's tags change.
 */
import { EventEmitter } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { badRequest, HubError, notFound } from './errors.js';
import { diffMergePatch, isObject, type JsonObject } from './json.js';
import { newTwin, patchSection, validatePropertyPatch, type TwinState } from './twin.js';
import type { StoredConfiguration } from './configurations.js';

/** Symmetric keys of an identity (base64). */
export interface SymmetricKeys {
  primaryKey: string;
  secondaryKey: string;
}

/** A device or module identity with its twin. */
export interface IdentityRecord {
  deviceId: string;
  /** Absent for a device identity. */
  moduleId?: string;
  keys: SymmetricKeys;
  generationId: string;
  etag: string;
  status: 'enabled' | 'disabled';
  /** Module only: who manages it (`IotEdge` for modules created by edgeAgent). */
  managedBy?: string;
  /** Device only: IoT Edge capability. */
  iotEdge?: boolean;
  /** Device only: desired documents deployed to modules that do not exist yet, applied when they are created. */
  pendingDesired?: Record<string, JsonObject>;
  twin: TwinState;
}

/** A desired-properties change that connected clients must receive. */
export interface DesiredChange {
  deviceId: string;
  moduleId?: string;
  /** Merge patch from the previous desired document to the new one. */
  patch: JsonObject;
  /** The new desired `$version`. */
  version: number;
}

interface PersistedRegistry {
  policyKey: string;
  identities: IdentityRecord[];
  configurations: StoredConfiguration[];
}

/** Options for creating a device identity. */
export interface CreateDeviceOptions {
  /** IoT Edge device: also creates the `$edgeAgent` and `$edgeHub` module identities. */
  iotEdge?: boolean;
  keys?: SymmetricKeys;
  status?: 'enabled' | 'disabled';
}

/** Options for creating a module identity. */
export interface CreateModuleOptions {
  keys?: SymmetricKeys;
  managedBy?: string;
}

const ID_PATTERN = /^[A-Za-z0-9\-:.+%_#*?!(),=@$']{1,128}$/;

/** A new random base64 key (32 bytes, as IoT Hub generates). */
export function generateKey(): string {
  return randomBytes(32).toString('base64');
}

function newEtag(): string {
  return Buffer.from(randomUUID()).toString('base64').slice(0, 12);
}

function identityKey(deviceId: string, moduleId?: string): string {
  return moduleId === undefined ? deviceId : `${deviceId}/${moduleId}`;
}

function checkId(kind: string, id: string): void {
  if (!ID_PATTERN.test(id)) throw badRequest(`invalid ${kind} id '${id.slice(0, 140)}'`);
}

function checkKeys(keys: SymmetricKeys): SymmetricKeys {
  for (const k of [keys.primaryKey, keys.secondaryKey]) {
    if (typeof k !== 'string' || Buffer.from(k, 'base64').length < 16) throw badRequest('symmetric keys must be base64 strings of at least 16 bytes');
  }
  return { primaryKey: keys.primaryKey, secondaryKey: keys.secondaryKey };
}

/** The hub's identity registry. See the module comment. */
export class HubRegistry extends EventEmitter<{ desired: [DesiredChange]; tags: [string] }> {
  /** Key of the `iothubowner` shared access policy. */
  readonly policyKey: string;
  private readonly identities = new Map<string, IdentityRecord>();
  private readonly configs = new Map<string, StoredConfiguration>();

  private constructor(
    private readonly file: string | undefined,
    data: PersistedRegistry | undefined,
  ) {
    super();
    this.policyKey = data?.policyKey ?? generateKey();
    for (const identity of data?.identities ?? []) this.identities.set(identityKey(identity.deviceId, identity.moduleId), identity);
    for (const config of data?.configurations ?? []) this.configs.set(config.id, config);
  }

  /** Opens a registry, loading `file` when it exists. Without a file the registry lives in memory only. */
  static open(file?: string): HubRegistry {
    if (file && existsSync(file)) {
      let data: unknown;
      try {
        data = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new Error(`IoT Hub emulator: registry file ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
      }
      if (!isObject(data) || typeof data.policyKey !== 'string' || !Array.isArray(data.identities) || !Array.isArray(data.configurations)) {
        throw new Error(`IoT Hub emulator: registry file ${file} does not have policyKey, identities and configurations`);
      }
      return new HubRegistry(file, data as unknown as PersistedRegistry);
    }
    return new HubRegistry(file, undefined);
  }

  /** Writes the registry file (atomically) when the registry is persisted. */
  save(): void {
    if (!this.file) return;
    const data: PersistedRegistry = {
      policyKey: this.policyKey,
      identities: [...this.identities.values()],
      configurations: [...this.configs.values()],
    };
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(data, null, 1), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  /** Creates a device identity; 409 when it exists. Edge devices get `$edgeAgent` and `$edgeHub`. */
  createDevice(deviceId: string, options: CreateDeviceOptions = {}): IdentityRecord {
    checkId('device', deviceId);
    if (this.identities.has(identityKey(deviceId))) throw new HubError(409, 'DeviceAlreadyExists', `device ${deviceId} already exists`);
    const device: IdentityRecord = {
      deviceId,
      keys: options.keys ? checkKeys(options.keys) : { primaryKey: generateKey(), secondaryKey: generateKey() },
      generationId: randomUUID(),
      etag: newEtag(),
      status: options.status ?? 'enabled',
      iotEdge: options.iotEdge ?? false,
      twin: newTwin(),
    };
    this.identities.set(identityKey(deviceId), device);
    if (device.iotEdge) this.ensureEdgeModules(deviceId);
    this.save();
    return device;
  }

  /** Updates keys, status or the edge capability of a device (etag `*` or matching). */
  updateDevice(deviceId: string, etag: string, changes: CreateDeviceOptions): IdentityRecord {
    const device = this.getDevice(deviceId);
    checkEtag(etag, device.etag);
    if (changes.keys) device.keys = checkKeys(changes.keys);
    if (changes.status) device.status = changes.status;
    if (changes.iotEdge !== undefined) device.iotEdge = changes.iotEdge;
    if (device.iotEdge) this.ensureEdgeModules(deviceId);
    device.etag = newEtag();
    this.save();
    return device;
  }

  private ensureEdgeModules(deviceId: string): void {
    for (const moduleId of ['$edgeAgent', '$edgeHub']) {
      if (!this.identities.has(identityKey(deviceId, moduleId))) this.insertModule(deviceId, moduleId, {});
    }
  }

  /** A device identity; 404 when missing. */
  getDevice(deviceId: string): IdentityRecord {
    const device = this.identities.get(identityKey(deviceId));
    if (!device) throw notFound(`device ${deviceId}`);
    return device;
  }

  /** All device identities (no modules). */
  listDevices(): IdentityRecord[] {
    return [...this.identities.values()].filter((i) => i.moduleId === undefined);
  }

  /** Deletes a device and its modules; 404 when missing. */
  deleteDevice(deviceId: string, etag = '*'): void {
    const device = this.getDevice(deviceId);
    checkEtag(etag, device.etag);
    for (const [key, identity] of this.identities) {
      if (identity.deviceId === deviceId) this.identities.delete(key);
    }
    this.save();
  }

  /** Creates a module identity on an existing device; 409 when it exists. */
  createModule(deviceId: string, moduleId: string, options: CreateModuleOptions = {}): IdentityRecord {
    this.getDevice(deviceId);
    checkId('module', moduleId);
    if (this.identities.has(identityKey(deviceId, moduleId))) throw new HubError(409, 'ModuleAlreadyExists', `module ${deviceId}/${moduleId} already exists`);
    const module = this.insertModule(deviceId, moduleId, options);
    this.save();
    return module;
  }

  private insertModule(deviceId: string, moduleId: string, options: CreateModuleOptions): IdentityRecord {
    const module: IdentityRecord = {
      deviceId,
      moduleId,
      keys: options.keys ? checkKeys(options.keys) : { primaryKey: generateKey(), secondaryKey: generateKey() },
      generationId: randomUUID(),
      etag: newEtag(),
      status: 'enabled',
      ...(options.managedBy !== undefined ? { managedBy: options.managedBy } : {}),
      twin: newTwin(),
    };
    const device = this.getDevice(deviceId);
    const pending = device.pendingDesired?.[moduleId];
    if (pending && device.pendingDesired) {
      module.twin.desired = pending;
      module.twin.desiredVersion += 1;
      module.twin.version += 1;
      delete device.pendingDesired[moduleId];
    }
    this.identities.set(identityKey(deviceId, moduleId), module);
    return module;
  }

  /** Updates the keys or managedBy of a module (etag `*` or matching). */
  updateModule(deviceId: string, moduleId: string, etag: string, changes: CreateModuleOptions): IdentityRecord {
    const module = this.getModule(deviceId, moduleId);
    checkEtag(etag, module.etag);
    if (changes.keys) module.keys = checkKeys(changes.keys);
    if (changes.managedBy !== undefined) module.managedBy = changes.managedBy;
    module.etag = newEtag();
    this.save();
    return module;
  }

  /** A module identity; 404 when missing. */
  getModule(deviceId: string, moduleId: string): IdentityRecord {
    const module = this.identities.get(identityKey(deviceId, moduleId));
    if (!module) throw notFound(`module ${deviceId}/${moduleId}`);
    return module;
  }

  /** The modules of a device; 404 when the device is missing. */
  listModules(deviceId: string): IdentityRecord[] {
    this.getDevice(deviceId);
    return [...this.identities.values()].filter((i) => i.deviceId === deviceId && i.moduleId !== undefined);
  }

  /** Deletes a module identity; 404 when missing. */
  deleteModule(deviceId: string, moduleId: string, etag = '*'): void {
    const module = this.getModule(deviceId, moduleId);
    checkEtag(etag, module.etag);
    this.identities.delete(identityKey(deviceId, moduleId));
    this.save();
  }

  /** The identity for a device (no moduleId) or module; 404 when missing. */
  identity(deviceId: string, moduleId?: string): IdentityRecord {
    return moduleId === undefined ? this.getDevice(deviceId) : this.getModule(deviceId, moduleId);
  }

  /** Looks an identity up without throwing. */
  findIdentity(deviceId: string, moduleId?: string): IdentityRecord | undefined {
    return this.identities.get(identityKey(deviceId, moduleId));
  }

  /** Merges a patch into the desired properties and notifies connected clients. Returns the new `$version`. */
  patchDesired(deviceId: string, moduleId: string | undefined, patch: JsonObject): number {
    const identity = this.identity(deviceId, moduleId);
    validatePropertyPatch(patch, 'properties.desired');
    const next = patchSection(identity.twin.desired, patch, 'properties.desired');
    return this.setDesired(identity, next);
  }

  /** Replaces the desired properties (deployments do this) and notifies connected clients with the difference. */
  replaceDesired(deviceId: string, moduleId: string | undefined, desired: JsonObject): number {
    const identity = this.identity(deviceId, moduleId);
    validatePropertyPatch(desired, 'properties.desired');
    return this.setDesired(identity, patchSection({}, desired, 'properties.desired'));
  }

  private setDesired(identity: IdentityRecord, next: JsonObject): number {
    const patch = diffMergePatch(identity.twin.desired, next);
    if (Object.keys(patch).length === 0) return identity.twin.desiredVersion;
    const twin = identity.twin;
    twin.desired = next;
    twin.desiredVersion += 1;
    twin.version += 1;
    this.save();
    this.emit('desired', {
      deviceId: identity.deviceId,
      ...(identity.moduleId !== undefined ? { moduleId: identity.moduleId } : {}),
      patch,
      version: twin.desiredVersion,
    });
    return twin.desiredVersion;
  }

  /**
   * Replaces a module's desired document when the module exists; otherwise keeps it on the device
   * until the module identity is created (deployments name modules before edgeAgent creates them).
   */
  deployDesired(deviceId: string, moduleId: string, desired: JsonObject): void {
    if (this.findIdentity(deviceId, moduleId)) {
      this.replaceDesired(deviceId, moduleId, desired);
      return;
    }
    const device = this.getDevice(deviceId);
    validatePropertyPatch(desired, 'properties.desired');
    device.pendingDesired = { ...device.pendingDesired, [moduleId]: patchSection({}, desired, 'properties.desired') };
    this.save();
  }

  /** Merges a patch into the reported properties (the device side does this). Returns the new `$version`. */
  patchReported(deviceId: string, moduleId: string | undefined, patch: JsonObject): number {
    const identity = this.identity(deviceId, moduleId);
    validatePropertyPatch(patch, 'properties.reported');
    identity.twin.reported = patchSection(identity.twin.reported, patch, 'properties.reported');
    identity.twin.reportedVersion += 1;
    identity.twin.version += 1;
    this.save();
    return identity.twin.reportedVersion;
  }

  /** Merges a patch into a device's tags and signals the change (deployments re-evaluate). */
  patchTags(deviceId: string, moduleId: string | undefined, patch: JsonObject): void {
    const identity = this.identity(deviceId, moduleId);
    if (!isObject(patch)) throw badRequest('tags must be a JSON object');
    identity.twin.tags = patchSection(identity.twin.tags, patch, 'tags');
    identity.twin.version += 1;
    this.save();
    if (moduleId === undefined) this.emit('tags', deviceId);
  }

  /** Stored configurations, in creation order. */
  listConfigurations(): StoredConfiguration[] {
    return [...this.configs.values()];
  }

  /** A configuration by id, or undefined. */
  findConfiguration(id: string): StoredConfiguration | undefined {
    return this.configs.get(id);
  }

  /** Stores (creates or replaces) a configuration. */
  putConfiguration(config: StoredConfiguration): void {
    this.configs.set(config.id, config);
    this.save();
  }

  /** Removes a configuration; false when it did not exist. */
  deleteConfiguration(id: string): boolean {
    const existed = this.configs.delete(id);
    if (existed) this.save();
    return existed;
  }
}

/** Checks an `If-Match` value (quotes allowed) against the current etag; 412 on mismatch. */
export function checkEtag(ifMatch: string, current: string): void {
  const value = ifMatch.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  if (value !== '*' && value !== current) throw new HubError(412, 'PreconditionFailed', 'the etag does not match the current version');
}
