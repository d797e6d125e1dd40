/**
 * Environment variables.
 *
 * Rule and order: createOptions `Env` ("K=V") in its order; then the module's `env` section in
 * manifest order, where a name already present takes the new value in place (module env wins);
 * then the injected IOTEDGE_DEVICEID, IOTEDGE_MODULEID, IOTEDGE_IOTHUBHOSTNAME and, for
 * non-system modules, IOTEDGE_GATEWAYHOSTNAME=edgehub. `:` in names becomes `__` (as Azure
 * Stack Edge does). Injected names replace user values with a warning.
 */
import { joinPointer, type EnvVar, type ModuleModel } from '../manifest/index.js';
import type { Issues } from './issues.js';
import type { ModuleSpec } from './spec.js';
import { readStringList } from './values.js';

/** The Service name of edgeHub, which modules use as their gateway. */
export const GATEWAY_HOSTNAME = 'edgehub';

/**
 * A name Kubernetes accepts for an environment variable (C identifiers plus `-` and `.`:
 * `[-._a-zA-Z][-._a-zA-Z0-9]*`), checked by character codes: a regular expression's call cost
 * more than the check for these short names, several per module.
 */
function isEnvName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const letter = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
    const digit = c >= 0x30 && c <= 0x39;
    if (!letter && c !== 0x5f && c !== 0x2d && c !== 0x2e && !(digit && i > 0)) return false;
  }
  return true;
}

/** `Env`: `["K=V"]` -> spec.env. An entry without `=` (take from the host) warns. */
export function readEnv(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  // The usual list, NAME=VALUE strings only: read in place into a list of its length (no copy,
  // and a list grown by push reserves room for 16).
  if (Array.isArray(value) && allNameValues(value)) {
    spec.env = value.map(envVarOf);
    return;
  }
  const entries = readStringList(value, pointer, issues);
  if (entries === undefined) return;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      issues.warn(
        joinPointer(pointer, i),
        `Env entry '${entry.slice(0, 64)}' has no NAME=VALUE form (Docker would copy it from the host); it is ignored`,
      );
      continue;
    }
    spec.env.push(envVarOf(entry));
  }
}

/** True when every item of `list` is a `NAME=VALUE` string (a hole is not). */
function allNameValues(list: unknown[]): list is string[] {
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (typeof item !== 'string' || item.indexOf('=') <= 0) return false;
  }
  return true;
}

/** The variable of a `NAME=VALUE` entry (one with a `=` after its first character). */
function envVarOf(entry: string): EnvVar {
  const eq = entry.indexOf('=');
  return { name: entry.slice(0, eq), value: entry.slice(eq + 1) };
}

export interface InjectedEnv {
  deviceId: string;
  hubHostname: string;
}

/**
 * The runtime's variables that are the same for every module of a translation, built once and
 * shared by the modules' env lists (translated objects are read-only).
 */
export interface RuntimeEnv {
  deviceId: EnvVar;
  hubHostname: EnvVar;
  gateway: EnvVar;
}

export function runtimeEnv(injected: InjectedEnv): RuntimeEnv {
  return {
    deviceId: { name: 'IOTEDGE_DEVICEID', value: injected.deviceId },
    hubHostname: { name: 'IOTEDGE_IOTHUBHOSTNAME', value: injected.hubHostname },
    gateway: { name: 'IOTEDGE_GATEWAYHOSTNAME', value: GATEWAY_HOSTNAME },
  };
}

/** Past this many variables, names are looked up in a Map rather than by a scan of the list. */
const SCAN_LIMIT = 16;

/**
 * The env list being built: names in first-set order, a later value replacing an earlier one in
 * place (as a Map keeps them), without a Map for the usual handful of variables. It holds the
 * variables' objects as given (those of the spec, the model and the {@link RuntimeEnv}): they are
 * already in output form, so the output shares them rather than copying each.
 */
class EnvList {
  readonly vars: EnvVar[] = [];
  private index: Map<string, number> | undefined;

  indexOf(name: string): number {
    if (this.index !== undefined) return this.index.get(name) ?? -1;
    const vars = this.vars;
    for (let i = 0; i < vars.length; i++) if (vars[i]!.name === name) return i;
    return -1;
  }

  set(v: EnvVar): void {
    const i = this.indexOf(v.name);
    if (i >= 0) this.vars[i] = v;
    else this.append(v);
  }

  /** Adds a variable whose name the list does not have. */
  append(v: EnvVar): void {
    this.vars.push(v);
    if (this.index !== undefined) this.index.set(v.name, this.vars.length - 1);
    else if (this.vars.length > SCAN_LIMIT) this.index = new Map(this.vars.map((e, k) => [e.name, k]));
  }

  /** Removes the variable of `v`'s name (present) and sets `v`, last. */
  moveLast(v: EnvVar): void {
    this.vars.splice(this.indexOf(v.name), 1);
    if (this.index !== undefined) this.index = new Map(this.vars.map((e, k) => [e.name, k]));
    this.set(v);
  }
}

/** Adds a user variable (createOptions `Env` or the module's `env`), `:` renamed to `__`; a name Kubernetes refuses warns instead. */
function addUserVar(list: EnvList, v: EnvVar, fromModuleEnv: boolean, module: ModuleModel, issues: Issues): void {
  const name = v.name;
  // A valid name has no `:`, so only a name that fails as it is may be one to rename.
  const k8sName = isEnvName(name) ? name : renamedEnvName(name);
  if (k8sName === undefined) {
    // The pointer is built only for a warning: createOptions `Env`, or the module's `env` entry.
    const pointer = fromModuleEnv ? joinPointer(module.pointer, 'env', name) : joinPointer(module.createOptionsPointer, 'Env');
    issues.warn(pointer, `environment variable name '${name}' is not valid on Kubernetes and is left out`, 'env-name');
    return;
  }
  list.set(k8sName === name ? v : { name: k8sName, value: v.value });
}

/** {@link addUserVar} for each of `vars`, in order. */
function addUserVars(list: EnvList, vars: readonly EnvVar[], fromModuleEnv: boolean, module: ModuleModel, issues: Issues): void {
  for (let i = 0; i < vars.length; i++) addUserVar(list, vars[i]!, fromModuleEnv, module, issues);
}

/** `name` with each `:` renamed to `__`, when that makes it a valid name; else undefined. */
function renamedEnvName(name: string): string | undefined {
  if (!name.includes(':')) return undefined;
  const renamed = name.replace(/:/g, '__');
  return isEnvName(renamed) ? renamed : undefined;
}

/** The start of every name the runtime sets (those of {@link RuntimeEnv} and IOTEDGE_MODULEID). */
const RUNTIME_PREFIX = 'IOTEDGE_';

/** Where the prefix's last character, `_`, stands: read first, it rules out most names without a call to startsWith. */
const PREFIX_END = RUNTIME_PREFIX.length - 1;
const UNDERSCORE = 0x5f;

/** True when a variable of `vars` may have a name the runtime sets. */
function hasRuntimeName(vars: readonly EnvVar[]): boolean {
  for (let i = 0; i < vars.length; i++) {
    const name = vars[i]!.name;
    if (name.charCodeAt(PREFIX_END) === UNDERSCORE && name.startsWith(RUNTIME_PREFIX)) return true;
  }
  return false;
}

/**
 * Sets a variable of the runtime; a user value of the same name is replaced (and moves last)
 * with a warning. `search` is false when the list holds no name the runtime sets.
 */
function setSystemVar(list: EnvList, v: EnvVar, search: boolean, module: ModuleModel, issues: Issues): void {
  if (search && list.indexOf(v.name) >= 0) {
    issues.warn(module.pointer, `environment variable ${v.name} is set by the runtime; the module's value is replaced`, 'env-reserved');
    list.moveLast(v);
  } else list.append(v);
}

/** The container env of a module (see the file comment for the order). */
export function buildEnv(module: ModuleModel, spec: ModuleSpec, runtime: RuntimeEnv, issues: Issues): EnvVar[] {
  const list = new EnvList();
  addUserVars(list, spec.env, false, module, issues);
  addUserVars(list, module.env, true, module, issues);
  // Searched for each runtime name only when a user name has the runtime's prefix (few modules
  // set one): four searches of the list cost more than the check of its names.
  const search = hasRuntimeName(list.vars);
  setSystemVar(list, runtime.deviceId, search, module, issues);
  setSystemVar(list, { name: 'IOTEDGE_MODULEID', value: module.name }, search, module, issues);
  setSystemVar(list, runtime.hubHostname, search, module, issues);
  if (!module.system) setSystemVar(list, runtime.gateway, search, module, issues);
  return list.vars;
}
