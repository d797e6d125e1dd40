/**
 * A container's environment and command line as the kubelet builds them: `envFrom` (ConfigMaps,
 * Secrets, with `prefix`), then `env` (value with `$(VAR)` expansion, `valueFrom` secretKeyRef,
 * configMapKeyRef, fieldRef, resourceFieldRef), and `$(VAR)` expansion of command and args. A
 * missing required ConfigMap, Secret or key is a {@link ContainerConfigError}
 * (CreateContainerConfigError), with the kubelet's message.
 */
import type { KubeApi } from './api.js';
import { findType } from './resources.js';
import { isObject, type JsonObject, type KubeObject } from './types.js';

const SECRETS = findType('', 'secrets')!;
const CONFIGMAPS = findType('', 'configmaps')!;

/** The container cannot be configured yet (kubelet: CreateContainerConfigError). */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

/** What env resolution reads besides the container. */
export interface EnvSource {
  api: KubeApi;
  pod: KubeObject;
  podIP: string;
  hostIP: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Expands `$(NAME)` from `vars`; `$$` escapes; unknown references stay as written. Pure. */
export function expandVars(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && Object.hasOwn(vars, name) ? vars[name]! : match;
  });
}

function dataOf(src: EnvSource, kind: 'secret' | 'configmap', name: string, optional: boolean): Record<string, string> | undefined {
  const namespace = src.pod.metadata.namespace;
  const obj = src.api.tryGet(kind === 'secret' ? SECRETS : CONFIGMAPS, namespace, name);
  if (!obj) {
    if (optional) return undefined;
    throw new ContainerConfigError(`${kind} "${name}" not found`);
  }
  const out: Record<string, string> = {};
  const data = isObject(obj.data) ? obj.data : {};
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = kind === 'secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
  if (kind === 'configmap' && isObject(obj.binaryData)) {
    for (const [k, v] of Object.entries(obj.binaryData)) if (typeof v === 'string') out[k] = Buffer.from(v, 'base64').toString('utf8');
  }
  return out;
}

function keyRef(src: EnvSource, kind: 'secret' | 'configmap', ref: JsonObject, envName: string): string | undefined {
  const name = str(ref.name) ?? '';
  const key = str(ref.key) ?? '';
  const optional = ref.optional === true;
  const data = dataOf(src, kind, name, optional);
  if (!data) return undefined;
  if (!Object.hasOwn(data, key)) {
    if (optional) return undefined;
    throw new ContainerConfigError(`couldn't find key ${key} in ${kind === 'secret' ? 'Secret' : 'ConfigMap'} ${src.pod.metadata.namespace ?? ''}/${name} (env ${envName})`);
  }
  return data[key];
}

/** The value of a downward-API `fieldPath` for the pod, or undefined when unsupported. */
export function fieldValue(pod: KubeObject, fieldPath: string, podIP: string, hostIP: string): string | undefined {
  const meta = pod.metadata;
  const mapKey = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (mapKey) return (mapKey[1] === 'labels' ? meta.labels : meta.annotations)?.[mapKey[2]!] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
    case 'metadata.annotations': {
      const map = (fieldPath === 'metadata.labels' ? meta.labels : meta.annotations) ?? {};
      return Object.keys(map)
        .sort()
        .map((k) => `${k}="${map[k]}"`)
        .join('\n');
    }
    case 'spec.nodeName':
      return str(pod.spec?.nodeName) ?? '';
    case 'spec.serviceAccountName':
      return str(pod.spec?.serviceAccountName) ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return hostIP;
    default:
      return undefined;
  }
}

function resourceValue(container: JsonObject, ref: JsonObject): string {
  const resource = str(ref.resource) ?? '';
  const [section, name] = resource.split('.');
  const resources = isObject(container.resources) ? container.resources : {};
  const values = isObject(resources[section ?? '']) ? (resources[section ?? ''] as JsonObject) : {};
  const value = values[name ?? ''];
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  // Without a limit the kubelet gives the node's allocatable amount.
  return name === 'cpu' ? '4' : name === 'memory' ? String(16_272_172 * 1024) : '0';
}

/** The container's environment (envFrom, then env), in Kubernetes order. */
export function containerEnv(src: EnvSource, container: JsonObject): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of Array.isArray(container.envFrom) ? container.envFrom : []) {
    if (!isObject(from)) continue;
    const prefix = str(from.prefix) ?? '';
    const ref = isObject(from.configMapRef) ? from.configMapRef : isObject(from.secretRef) ? from.secretRef : undefined;
    if (!ref) continue;
    const data = dataOf(src, isObject(from.secretRef) ? 'secret' : 'configmap', str(ref.name) ?? '', ref.optional === true);
    for (const [k, v] of Object.entries(data ?? {})) env[prefix + k] = v;
  }
  for (const item of Array.isArray(container.env) ? container.env : []) {
    if (!isObject(item) || typeof item.name !== 'string') continue;
    const name = item.name;
    if (!isObject(item.valueFrom)) {
      env[name] = expandVars(str(item.value) ?? '', env);
      continue;
    }
    const from = item.valueFrom;
    let value: string | undefined;
    if (isObject(from.secretKeyRef)) value = keyRef(src, 'secret', from.secretKeyRef, name);
    else if (isObject(from.configMapKeyRef)) value = keyRef(src, 'configmap', from.configMapKeyRef, name);
    else if (isObject(from.fieldRef)) value = fieldValue(src.pod, str(from.fieldRef.fieldPath) ?? '', src.podIP, src.hostIP);
    else if (isObject(from.resourceFieldRef)) value = resourceValue(container, from.resourceFieldRef);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** The container's command and args after `$(VAR)` expansion. */
export function expandCommand(words: unknown, env: Readonly<Record<string, string>>): string[] | undefined {
  if (!Array.isArray(words)) return undefined;
  return words.map((w) => expandVars(String(w), env));
}
