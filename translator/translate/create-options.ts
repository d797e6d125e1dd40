/**
 * createOptions -> ModuleSpec. Every key of the Docker ContainerCreate body (top level and
 * inside HostConfig) is listed here: either mapped by a handler, or known to have no
 * Kubernetes equivalent and warned about with the reason (rule `unsupported-create-option`).
 * Keys not listed at all warn as unknown. Keys match with exact case, as the Docker API spells
 * them; a key that differs only by case gets a "did you mean" hint. A known key whose value is
 * Docker's "unset" (null, false, 0, "", [] or {}) changes nothing and does not warn.
 * docs/translation.md has the same table in prose.
 */
import { joinPointer, type ModuleModel } from '../manifest/index.js';
import { Issues } from './issues.js';
import { emptySpec, type ModuleSpec } from './spec.js';
import { hasStringValues, isObject, isUnset, typeName, readBoolean, readInteger, readObject, readString, readStringList, readStringMap, type JsonObject } from './values.js';
import { readEnv } from './env.js';
import { readExposedPorts, readPortBindings, servicePorts } from './service.js';
import { checkDevices, readBinds, readDevices, readMounts, readShmSize, readTmpfs, readVolumes } from './volumes.js';
import {
  checkDockerResources,
  checkResources,
  mergeResources,
  readCpuQuota,
  readCpuShares,
  readDeviceRequests,
  readMemory,
  readMemoryReservation,
  readNanoCpus,
} from './resources.js';
import { readHealthcheck } from './probe.js';
import {
  checkSecurity,
  readCapabilities,
  readGroupAdd,
  readPrivileged,
  readReadonlyRootfs,
  readSecurityOpt,
  readSysctls,
  readUser,
} from './security.js';
import { readDns, readDnsOptions, readDnsSearch, readExtraHosts, readHostNamespace, readHostname, readNetworkMode } from './host.js';
import { readExperimental } from './experimental.js';
import { isQualifiedName } from './names.js';
import { ORIGINAL_MODULE_ID_ANNOTATION, MODULE_VERSION_ANNOTATION } from './labels.js';
import { sortedKeys } from '../shared/index.js';

/** The createOptions key that holds Kubernetes fragments. */
export const EXPERIMENTAL_KEY = 'k8s-experimental';

/** Maps one key's value into the spec; `parent` is the object holding the key. */
export type KeyHandler = (value: unknown, pointer: string, spec: ModuleSpec, issues: Issues, parent: JsonObject) => void;

/** A key is mapped by a handler, or ignored with a reason that the warning quotes. */
export type KeyRule = { handler: KeyHandler } | { ignored: string };

const map = (handler: KeyHandler): KeyRule => ({ handler });
const ignore = (reason: string): KeyRule => ({ ignored: reason });

const ANNOTATION_RESERVED = [ORIGINAL_MODULE_ID_ANNOTATION, MODULE_VERSION_ANNOTATION];

/** `Labels` -> pod template annotations (keys must be valid annotation keys). */
function readLabels(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const labels = readObject(value, pointer, issues);
  if (labels === undefined) return;
  // Read in place when every value is a string (no copy); else readStringMap records an error
  // for each other value, and no label is kept.
  if (!hasStringValues(labels)) {
    readStringMap(labels, pointer, issues);
    return;
  }
  for (const key of sortedKeys(labels)) {
    if (!isQualifiedName(key) || ANNOTATION_RESERVED.includes(key))
      issues.warn(joinPointer(pointer, key), `label '${key}' is not a valid (or is a reserved) annotation key and is left out`);
    else spec.annotations[key] = labels[key] as string;
  }
}


/** A boolean key that sets a container flag when true. */
function flag(field: 'tty' | 'stdin' | 'stdinOnce'): KeyHandler {
  return (value, pointer, spec, issues) => {
    if (readBoolean(value, pointer, issues)) spec[field] = true;
  };
}

/** Top-level keys of createOptions (Docker ContainerConfig plus HostConfig, NetworkingConfig). */
export const TOP_LEVEL_KEYS: Record<string, KeyRule> = {
  Hostname: map(readHostname),
  Domainname: ignore('a pod has no domain name of its own; names come from Services and the namespace'),
  User: map(readUser),
  AttachStdin: ignore('attaching is done by the client (kubectl attach); the pod needs only stdin'),
  AttachStdout: ignore('container output is always captured by the kubelet'),
  AttachStderr: ignore('container output is always captured by the kubelet'),
  ExposedPorts: map(readExposedPorts),
  Tty: map(flag('tty')),
  OpenStdin: map(flag('stdin')),
  StdinOnce: map(flag('stdinOnce')),
  Env: map(readEnv),
  Cmd: map((v, p, s, i) => {
    s.args = readStringList(v, p, i);
  }),
  Healthcheck: map(readHealthcheck),
  ArgsEscaped: ignore('Windows only'),
  Image: ignore("the module's settings.image is the image"),
  Volumes: map(readVolumes),
  WorkingDir: map((v, p, s, i) => {
    s.workingDir = readString(v, p, i) || undefined;
  }),
  Entrypoint: map((v, p, s, i) => {
    s.command = readStringList(v, p, i);
  }),
  NetworkDisabled: ignore('a pod always has a network interface'),
  MacAddress: ignore('pod MAC addresses are assigned by the network plugin'),
  OnBuild: ignore('build-time metadata'),
  Labels: map(readLabels),
  StopSignal: ignore("the container runtime sends the image's STOPSIGNAL (default SIGTERM); it cannot be set per pod"),
  StopTimeout: map((v, p, s, i) => {
    const seconds = readInteger(v, p, i);
    if (seconds !== undefined) s.pod.terminationGracePeriodSeconds = seconds;
  }),
  Shell: ignore('build-time only (Dockerfile SHELL)'),
  HostConfig: map((v, p, s, i) => {
    const hostConfig = readObject(v, p, i);
    if (hostConfig) applyKeys(hostConfig, p, HOST_CONFIG_RULES, s, i, 'HostConfig.');
  }),
  NetworkingConfig: ignore(
    'IoT Edge network settings (aliases, endpoints) have no Kubernetes equivalent: every pod is on the cluster network and modules reach each other through Services named after the modules',
  ),
  [EXPERIMENTAL_KEY]: map((v, p, s, i) => readExperimental(v, p, s.experimental, i)),
};

const BLKIO = 'block I/O limits are not part of the pod API';
const WINDOWS = 'Windows only';
const NODE_LEVEL = 'configured per node (kubelet / container runtime), not per pod';

/** Keys of HostConfig. */
export const HOST_CONFIG_KEYS: Record<string, KeyRule> = {
  Binds: map(readBinds),
  ContainerIDFile: ignore('there is no container id file on Kubernetes'),
  LogConfig: ignore('the kubelet and container runtime own container logs (kubectl logs, GetModuleLogs)'),
  NetworkMode: map(readNetworkMode),
  PortBindings: map(readPortBindings),
  RestartPolicy: ignore("the module's restartPolicy decides restarts (Deployment or Job)"),
  AutoRemove: ignore('pods are removed by their controller'),
  VolumeDriver: ignore('volume drivers are replaced by StorageClasses (see the volumeBinding and storageClassName options)'),
  VolumesFrom: ignore('containers of different pods cannot share volumes; use a named volume (PersistentVolumeClaim)'),
  Mounts: map(readMounts),
  ConsoleSize: ignore('the terminal size is set by the attaching client'),
  Annotations: ignore('container runtime annotations cannot be set through the pod API'),
  CapAdd: map(readCapabilities('add')),
  CapDrop: map(readCapabilities('drop')),
  CgroupnsMode: ignore('cgroup namespaces are managed by the kubelet'),
  Cgroup: ignore('cgroups are managed by the kubelet'),
  CgroupParent: ignore('cgroups are managed by the kubelet'),
  Dns: map(readDns),
  DnsOptions: map(readDnsOptions),
  DnsSearch: map(readDnsSearch),
  ExtraHosts: map(readExtraHosts),
  GroupAdd: map(readGroupAdd),
  IpcMode: map(readHostNamespace('hostIPC', ['private', 'shareable'])),
  Links: ignore('links are replaced by Services: reach a module at its name'),
  OomScoreAdj: ignore('the kubelet sets it from the pod QoS class'),
  PidMode: map(readHostNamespace('hostPID', ['private'])),
  Privileged: map(readPrivileged),
  PublishAllPorts: ignore('publish ports explicitly with PortBindings'),
  ReadonlyRootfs: map(readReadonlyRootfs),
  SecurityOpt: map(readSecurityOpt),
  StorageOpt: ignore(NODE_LEVEL),
  Tmpfs: map(readTmpfs),
  UTSMode: ignore('the UTS namespace follows hostNetwork'),
  UsernsMode: ignore('user namespaces are a pod-level setting (hostUsers) that is not mapped'),
  ShmSize: map(readShmSize),
  Sysctls: map(readSysctls),
  Runtime: ignore('runtimes are chosen with RuntimeClasses; GPUs come from nvidia.com/gpu (DeviceRequests or k8s-experimental.resources)'),
  Isolation: ignore(WINDOWS),
  CpuShares: map(readCpuShares),
  Memory: map(readMemory),
  NanoCpus: map(readNanoCpus),
  BlkioWeight: ignore(BLKIO),
  BlkioWeightDevice: ignore(BLKIO),
  BlkioDeviceReadBps: ignore(BLKIO),
  BlkioDeviceWriteBps: ignore(BLKIO),
  BlkioDeviceReadIOps: ignore(BLKIO),
  BlkioDeviceWriteIOps: ignore(BLKIO),
  CpuPeriod: map((_v, p, s, i, parent) => {
    if (parent.CpuQuota === undefined) readCpuQuota(parent, parentPointer(p), s, i);
  }),
  CpuQuota: map((_v, p, s, i, parent) => readCpuQuota(parent, parentPointer(p), s, i)),
  CpuRealtimePeriod: ignore('real-time scheduling is not part of the pod API'),
  CpuRealtimeRuntime: ignore('real-time scheduling is not part of the pod API'),
  CpusetCpus: ignore("CPU pinning is done by the kubelet's CPU manager (Guaranteed pods with whole cpus)"),
  CpusetMems: ignore("memory node pinning is done by the kubelet's memory manager"),
  Devices: map(readDevices),
  DeviceCgroupRules: ignore('device cgroup rules cannot be set per pod; use a privileged container or a device plugin'),
  DeviceRequests: map(readDeviceRequests),
  KernelMemory: ignore('deprecated by Docker and not supported by cgroup v2'),
  KernelMemoryTCP: ignore('deprecated by Docker and not supported by cgroup v2'),
  MemoryReservation: map(readMemoryReservation),
  MemorySwap: ignore(`swap is ${NODE_LEVEL}`),
  MemorySwappiness: ignore(`swappiness is ${NODE_LEVEL}`),
  OomKillDisable: ignore('the kubelet always enforces memory limits'),
  Init: ignore('no init process is injected; use one in the image'),
  PidsLimit: ignore(`the pid limit is ${NODE_LEVEL} (kubelet podPidsLimit)`),
  Ulimits: ignore(`ulimits are ${NODE_LEVEL}`),
  CpuCount: ignore(WINDOWS),
  CpuPercent: ignore(WINDOWS),
  IOMaximumIOps: ignore(WINDOWS),
  IOMaximumBandwidth: ignore(WINDOWS),
  MaskedPaths: ignore('masked paths follow the container runtime defaults (securityContext.procMount)'),
  ReadonlyPaths: ignore('read-only paths follow the container runtime defaults (securityContext.procMount)'),
};

function parentPointer(pointer: string): string {
  return pointer.slice(0, pointer.lastIndexOf('/'));
}

/** Why an unknown key was not recognized: a case slip, or a key that belongs at another level. */
function hint(key: string, rules: ReadonlyMap<string, KeyRule>): string {
  const lower = key.toLowerCase();
  for (const k of rules.keys()) if (k.toLowerCase() === lower) return ` (did you mean '${k}'? keys are case-sensitive)`;
  if (rules === TOP_LEVEL_RULES && HOST_CONFIG_RULES.has(key)) return ' (it belongs inside HostConfig)';
  if (rules === HOST_CONFIG_RULES && TOP_LEVEL_RULES.has(key)) return ' (it belongs at the top level of createOptions)';
  return '';
}

/**
 * A table's rules in a Map: looked up many times per module, where a lookup in the record (an
 * object of about 70 members, each key different) costs several times a Map's. Its keys hold no
 * `~` or `/`, so a pointer to one needs no escaping (checked here, once).
 */
function rulesOf(table: Record<string, KeyRule>): ReadonlyMap<string, KeyRule> {
  const rules = new Map<string, KeyRule>();
  for (const key of Object.keys(table)) {
    if (key.includes('~') || key.includes('/')) throw new Error(`createOptions key table: '${key}' would need escaping in a pointer`);
    rules.set(key, table[key]!);
  }
  return rules;
}

const TOP_LEVEL_RULES = rulesOf(TOP_LEVEL_KEYS);
const HOST_CONFIG_RULES = rulesOf(HOST_CONFIG_KEYS);

/** Applies a table's `rules` ({@link rulesOf}) to every key of `obj`, in sorted order. */
function applyKeys(obj: JsonObject, pointer: string, rules: ReadonlyMap<string, KeyRule>, spec: ModuleSpec, issues: Issues, prefix: string): void {
  // The keys' common start, made once: each key's pointer is then one concatenation.
  const base = `${pointer}/`;
  for (const key of sortedKeys(obj)) {
    const rule = rules.get(key);
    // A key of the table needs no escaping (see rulesOf).
    const p = rule === undefined ? joinPointer(pointer, key) : base + key;
    const value = obj[key];
    if (rule === undefined) issues.warn(p, `createOptions key '${prefix}${key}' is unknown and is ignored${hint(key, rules)}`);
    else if ('ignored' in rule) {
      if (!isUnset(value)) issues.warn(p, `createOptions key '${prefix}${key}' is not supported on Kubernetes and is ignored: ${rule.ignored}`);
    } else rule.handler(value, p, spec, issues, obj);
  }
}

/**
 * `Entrypoint: [""]` clears the image's entrypoint in Docker. Kubernetes cannot clear it, but
 * `command` replaces it: with a Cmd, the Cmd becomes the command; without one, the image's CMD
 * is unknown here, so the reset is dropped with a warning.
 */
function resetEntrypoint(spec: ModuleSpec, createOptionsPointer: string, issues: Issues): void {
  if (spec.command?.length !== 1 || spec.command[0] !== '') return;
  if (spec.args && spec.args.length > 0) {
    spec.command = spec.args;
    spec.args = undefined;
  } else {
    spec.command = undefined;
    issues.warn(joinPointer(createOptionsPointer, 'Entrypoint'), `Entrypoint [""] clears the image's entrypoint in Docker; Kubernetes cannot without a Cmd to run instead, so the image's entrypoint applies`);
  }
}

/** k8s-experimental volumes must not reuse a mount path or a volume name. */
function checkExperimentalMounts(spec: ModuleSpec, createOptionsPointer: string, issues: Issues): void {
  if (spec.experimental.volumes === undefined || spec.experimental.volumes.length === 0) return;
  const pointer = joinPointer(createOptionsPointer, EXPERIMENTAL_KEY, 'volumes');
  const paths = new Set(spec.mounts.map((m) => m.target));
  const names = new Set<string>();
  for (const { volume, volumeMounts } of spec.experimental.volumes ?? []) {
    const name = String(volume.name);
    if (names.has(name)) issues.error(pointer, `k8s-experimental volume name '${name}' is used twice`);
    names.add(name);
    for (const mount of volumeMounts) {
      const path = String(mount.mountPath);
      if (paths.has(path)) issues.error(pointer, `k8s-experimental volume '${name}' mounts ${path}, which another mount already uses`);
      paths.add(path);
    }
  }
}

/** Restart policies whose workload is a Job (no restart on unhealthy). */
const JOB_POLICIES = new Set(['on-failure', 'never']);

/** Interprets one module's createOptions; `issues.failed` tells whether the module can be translated. */
export function interpretCreateOptions(module: ModuleModel): { spec: ModuleSpec; issues: Issues } {
  const spec = emptySpec();
  const issues = new Issues();
  const pointer = module.createOptionsPointer;
  if (!isObject(module.createOptions)) {
    issues.error(pointer, `createOptions must be a JSON object, found ${typeName(module.createOptions)}`);
    return { spec, issues };
  }
  applyKeys(module.createOptions, pointer, TOP_LEVEL_RULES, spec, issues, '');
  checkDevices(spec, issues);
  checkSecurity(spec, pointer, issues);
  checkDockerResources(spec, pointer, issues);
  if (spec.experimental.resources) {
    spec.resources = mergeResources(spec.resources, spec.experimental.resources);
    checkResources(spec.resources, joinPointer(pointer, EXPERIMENTAL_KEY, 'resources'), issues);
  }
  resetEntrypoint(spec, pointer, issues);
  // Checked here, kept for the published Service (buildService). A module without PortBindings
  // or serviceOptions publishes none, and its exposed ports alone cannot conflict (port = target).
  if (spec.portBindings.length > 0 || spec.experimental.serviceOptions !== undefined) spec.servicePorts = servicePorts(spec, pointer, issues);
  checkExperimentalMounts(spec, pointer, issues);
  if (spec.livenessProbe && JOB_POLICIES.has(module.restartPolicy)) {
    issues.warn(
      joinPointer(pointer, 'Healthcheck'),
      `Healthcheck is not applied: restartPolicy '${module.restartPolicy}' does not restart unhealthy modules, and a liveness probe would`,
    );
    delete spec.livenessProbe;
  }
  return { spec, issues };
}
