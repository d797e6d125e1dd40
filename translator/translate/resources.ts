/**
 * Resources.
 *
 * Rule: `Memory` -> limits.memory, `MemoryReservation` -> requests.memory (bytes, written as
 * Gi/Mi/Ki when exactly divisible, else plain bytes); `NanoCpus` -> limits.cpu (1e9 = 1 cpu);
 * `CpuQuota`/`CpuPeriod` -> limits.cpu (quota / period cpus); `CpuShares` -> requests.cpu
 * (1024 shares = 1 cpu); GPU `DeviceRequests` -> limits `nvidia.com/gpu`. CPU is written in
 * millicores, rounded up, at least 1m. `k8s-experimental.resources` overrides per resource.
 */
import { sortedRecord } from './canonical.js';
import { joinPointer } from '../manifest/index.js';
import type { Issues } from './issues.js';
import type { ModuleSpec, Quantities, Resources } from './spec.js';
import { quantityStrings } from './quantity.js';
import { readArray, readInteger, readObject, readString, readStringList } from './values.js';
import { sortedKeys } from '../shared/index.js';

export const GPU_RESOURCE = 'nvidia.com/gpu';
/** CpuPeriod when only CpuQuota is given (Docker's default, microseconds). */
export const DEFAULT_CPU_PERIOD = 100_000;

/** Binary suffixes, largest first (one table, not a new one per call). */
const BINARY_UNITS: readonly (readonly [string, number])[] = [
  ['Gi', 1024 ** 3],
  ['Mi', 1024 ** 2],
  ['Ki', 1024],
];

/** Bytes as a quantity: `536870912` -> `512Mi`, `1000` -> `1000`. */
export function bytesToQuantity(bytes: number): string {
  for (const [suffix, unit] of BINARY_UNITS) if (bytes % unit === 0) return `${bytes / unit}${suffix}`;
  return String(bytes);
}

/** A CPU amount (in cpus) as millicores, rounded up, at least 1m: `0.5` -> `500m`. */
export function cpuQuantity(cpus: number): string {
  const milli = Math.max(1, Math.ceil(Math.round(cpus * 1e6) / 1e3));
  return `${milli}m`;
}

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const SUFFIX: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6,
};

/** The numeric value of a Kubernetes quantity (`500m` -> 0.5, `1Gi` -> 1073741824), or undefined when it is not one. */
export function parseQuantity(quantity: string | number): number | undefined {
  if (typeof quantity === 'number') return Number.isFinite(quantity) ? quantity : undefined;
  const text = quantity.trim();
  if (!QUANTITY.test(text)) return undefined;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(.*)$/.exec(text)!;
  const suffix = m[2]!;
  if (/^[eE]/.test(suffix)) return Number(m[1]) * 10 ** Number(suffix.slice(1));
  return Number(m[1]) * SUFFIX[suffix]!;
}

/** `HostConfig.Memory` (bytes) -> limits.memory. */
export function readMemory(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const bytes = readInteger(value, pointer, issues);
  if (bytes) spec.resources.limits.memory = bytesToQuantity(bytes);
}

/** `HostConfig.MemoryReservation` (bytes) -> requests.memory. */
export function readMemoryReservation(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const bytes = readInteger(value, pointer, issues);
  if (bytes) spec.resources.requests.memory = bytesToQuantity(bytes);
}

/** `HostConfig.NanoCpus` (1e-9 cpus) -> limits.cpu. */
export function readNanoCpus(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const nano = readInteger(value, pointer, issues);
  if (nano) spec.resources.limits.cpu = cpuQuantity(nano / 1e9);
}

/** `HostConfig.CpuShares` (1024 = 1 cpu) -> requests.cpu. */
export function readCpuShares(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const shares = readInteger(value, pointer, issues);
  if (shares) spec.resources.requests.cpu = cpuQuantity(shares / 1024);
}

/**
 * `HostConfig.CpuQuota` with `HostConfig.CpuPeriod` (microseconds) -> limits.cpu = quota / period.
 * Reads both keys from HostConfig; NanoCpus, when also set, wins (Docker rejects the pair).
 */
export function readCpuQuota(hostConfig: Record<string, unknown>, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const quota = readInteger(hostConfig.CpuQuota, joinPointer(pointer, 'CpuQuota'), issues, -1);
  const period = readInteger(hostConfig.CpuPeriod, joinPointer(pointer, 'CpuPeriod'), issues);
  if (!quota || quota < 0) {
    if (period) issues.warn(joinPointer(pointer, 'CpuPeriod'), 'CpuPeriod has no effect without CpuQuota and is ignored');
    return;
  }
  if (hostConfig.NanoCpus) {
    issues.warn(joinPointer(pointer, 'CpuQuota'), 'CpuQuota/CpuPeriod are ignored because NanoCpus is set (Docker does not allow both)');
    return;
  }
  spec.resources.limits.cpu = cpuQuantity(quota / (period || DEFAULT_CPU_PERIOD));
}

/**
 * `HostConfig.DeviceRequests`: GPU requests (`Capabilities` [["gpu"]] or Driver `nvidia`) add
 * their `Count` to limits `nvidia.com/gpu`; `Count` -1 (all GPUs) becomes 1 with a warning.
 */
export function readDeviceRequests(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const requests = readArray(value, pointer, issues);
  let gpus = 0;
  requests?.forEach((entry, i) => {
    const p = joinPointer(pointer, i);
    const request = readObject(entry, p, issues);
    if (!request) return;
    const driver = readString(request.Driver, joinPointer(p, 'Driver'), issues) ?? '';
    const count = readInteger(request.Count, joinPointer(p, 'Count'), issues, -1) ?? 0;
    const ids = readStringList(request.DeviceIDs, joinPointer(p, 'DeviceIDs'), issues) ?? [];
    const capabilities = readArray(request.Capabilities, joinPointer(p, 'Capabilities'), issues) ?? [];
    const isGpu = driver === 'nvidia' || capabilities.some((group) => Array.isArray(group) && group.includes('gpu'));
    if (!isGpu) {
      issues.warn(p, 'device request without the "gpu" capability or the nvidia driver has no Kubernetes equivalent and is ignored');
      return;
    }
    for (const key of sortedKeys(request))
      if (!['Driver', 'Count', 'DeviceIDs', 'Capabilities'].includes(key) && request[key] !== null && request[key] !== undefined)
        issues.warn(joinPointer(p, key), `device request field '${key}' has no Kubernetes equivalent and is ignored`);
    if (count === -1) {
      issues.warn(joinPointer(p, 'Count'), `Count -1 (all GPUs) becomes 1 ${GPU_RESOURCE}: Kubernetes needs a number; set k8s-experimental.resources to ask for more`);
      gpus += 1;
    } else if (ids.length > 0) {
      issues.warn(
        joinPointer(p, 'DeviceIDs'),
        `DeviceIDs ${JSON.stringify(ids)} cannot pick GPUs on Kubernetes; ${ids.length} ${GPU_RESOURCE} are requested instead (or set NVIDIA_VISIBLE_DEVICES)`,
      );
      gpus += ids.length;
    } else gpus += count;
  });
  if (gpus > 0) spec.resources.limits[GPU_RESOURCE] = String(gpus);
}

/** A request above its limit: memory is an error (Docker rejects it too), cpu is lowered to the limit. */
export function checkDockerResources(spec: ModuleSpec, createOptionsPointer: string, issues: Issues): void {
  const { requests, limits } = spec.resources;
  if (requests.memory !== undefined && limits.memory !== undefined && parseQuantity(requests.memory)! > parseQuantity(limits.memory)!)
    issues.error(
      joinPointer(createOptionsPointer, 'HostConfig', 'MemoryReservation'),
      `MemoryReservation (${requests.memory}) must not be greater than Memory (${limits.memory})`,
    );
  if (requests.cpu !== undefined && limits.cpu !== undefined && parseQuantity(requests.cpu)! > parseQuantity(limits.cpu)!) {
    issues.warn(
      joinPointer(createOptionsPointer, 'HostConfig', 'CpuShares'),
      `the cpu request from CpuShares (${requests.cpu}) is above the cpu limit (${limits.cpu}); Kubernetes needs request <= limit, so the request is lowered to ${limits.cpu}`,
    );
    requests.cpu = limits.cpu;
  }
}

/** Merges `k8s-experimental.resources` over the Docker-derived resources, per resource name. */
export function mergeResources(docker: Resources, override: Partial<Resources> | undefined): Resources {
  return {
    requests: { ...docker.requests, ...(override?.requests ?? {}) },
    limits: { ...docker.limits, ...(override?.limits ?? {}) },
  };
}

/**
 * Checks merged resources the way the API server does: request <= limit, and for extended
 * resources (names with a `/`, such as nvidia.com/gpu) request == limit when both are set.
 */
export function checkResources(resources: Resources, pointer: string, issues: Issues): void {
  for (const name of sortedKeys(resources.requests)) {
    const request = resources.requests[name]!;
    const limit = resources.limits[name];
    if (limit === undefined) {
      if (name.includes('/') && !name.startsWith('hugepages-'))
        issues.error(pointer, `extended resource '${name}' needs a limit (Kubernetes does not overcommit it)`);
      continue;
    }
    const r = parseQuantity(request)!;
    const l = parseQuantity(limit)!;
    if (name.includes('/') && r !== l) issues.error(pointer, `extended resource '${name}' must have request (${request}) equal to limit (${limit})`);
    else if (r > l) issues.error(pointer, `resource '${name}' request (${request}) must not be greater than its limit (${limit})`);
  }
}

/** Resources in output form: empty maps left out. */
export function resourcesField(resources: Resources): Record<string, Quantities> | undefined {
  // Keys in output order (see canonical.ts).
  const limits = quantitiesField(resources.limits);
  const requests = quantitiesField(resources.requests);
  if (limits === undefined) return requests === undefined ? undefined : { requests };
  return requests === undefined ? { limits } : { limits, requests };
}

/**
 * One quantity map in output form (values as strings, keys sorted, unset values left out), or
 * undefined when it has no keys. The spec's maps are the translation's own records: one already
 * in that form is returned as it is (sortedRecord). Docker's resources are quantity strings (only
 * k8s-experimental gives numbers), but its limits come out of order: `Memory` is read before
 * `NanoCpus`. That pair is written by a literal in output order (sortedRecord's copy key by key
 * costs as much again as the rest of the call).
 */
function quantitiesField(quantities: Quantities): Record<string, string | number> | undefined {
  const keys = Object.keys(quantities);
  if (keys.length === 0) return undefined;
  if (isMemoryThenCpu(quantities, keys)) return { cpu: quantities.cpu, memory: quantities.memory };
  return sortedRecord(onlyStrings(quantities) ? quantities : quantityStrings(quantities));
}

function onlyStrings(quantities: Quantities): boolean {
  for (const key in quantities) if (typeof quantities[key] !== 'string') return false;
  return true;
}

/** True when `quantities` (of `keys`) are a memory and a cpu string, in that order. */
function isMemoryThenCpu(quantities: Quantities, keys: readonly string[]): quantities is { memory: string; cpu: string } {
  return keys.length === 2 && keys[0] === 'memory' && keys[1] === 'cpu' && typeof quantities.memory === 'string' && typeof quantities.cpu === 'string';
}

/** True when the resources ask for GPUs. */
export function usesGpu(resources: Resources): boolean {
  return (parseQuantity(resources.limits[GPU_RESOURCE] ?? 0) ?? 0) > 0 || (parseQuantity(resources.requests[GPU_RESOURCE] ?? 0) ?? 0) > 0;
}
