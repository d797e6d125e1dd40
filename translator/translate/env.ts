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

/** Names Kubernetes accepts for environment variables (C identifiers plus `-` and `.`). */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** `Env`: `["K=V"]` -> spec.env. An entry without `=` (take from the host) warns. */
export function readEnv(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const entries = readStringList(value, pointer, issues);
  entries?.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      issues.warn(
        joinPointer(pointer, i),
        `Env entry '${entry.slice(0, 64)}' has no NAME=VALUE form (Docker would copy it from the host); it is ignored`,
      );
      return;
    }
    spec.env.push({ name: entry.slice(0, eq), value: entry.slice(eq + 1) });
  });
}

export interface InjectedEnv {
  deviceId: string;
  hubHostname: string;
}

/** The container env of a module (see the file comment for the order). */
export function buildEnv(module: ModuleModel, spec: ModuleSpec, injected: InjectedEnv, issues: Issues): EnvVar[] {
  const vars = new Map<string, string>();
  const rename = (name: string): string => (name.includes(':') ? name.replace(/:/g, '__') : name);
  // The pointer is built only for a warning: createOptions `Env`, or the module's `env` entry.
  const add = (name: string, value: string, fromModuleEnv: boolean): void => {
    const k8sName = rename(name);
    if (!ENV_NAME.test(k8sName)) {
      const pointer = fromModuleEnv ? joinPointer(module.pointer, 'env', name) : joinPointer(module.createOptionsPointer, 'Env');
      issues.warn(pointer, `environment variable name '${name}' is not valid on Kubernetes and is left out`, 'env-name');
      return;
    }
    vars.set(k8sName, value);
  };
  for (const v of spec.env) add(v.name, v.value, false);
  for (const v of module.env) add(v.name, v.value, true);
  const system: [string, string][] = [
    ['IOTEDGE_DEVICEID', injected.deviceId],
    ['IOTEDGE_MODULEID', module.name],
    ['IOTEDGE_IOTHUBHOSTNAME', injected.hubHostname],
  ];
  if (!module.system) system.push(['IOTEDGE_GATEWAYHOSTNAME', GATEWAY_HOSTNAME]);
  for (const [name, value] of system) {
    if (vars.has(name)) {
      issues.warn(module.pointer, `environment variable ${name} is set by the runtime; the module's value is replaced`, 'env-reserved');
      vars.delete(name);
    }
    vars.set(name, value);
  }
  const env: EnvVar[] = [];
  for (const [name, value] of vars) env.push({ name, value });
  return env;
}
