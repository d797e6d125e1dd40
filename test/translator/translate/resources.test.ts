import { bytesToQuantity, cpuQuantity, parseQuantity } from '../../../translator/translate/resources.js';
import { co, translateOne } from './builders.js';
import { assertValidK8s } from '../../support/k8s-schema.js';

describe('quantities', () => {
  it('bytesToQuantity uses Gi/Mi/Ki when exact, else bytes', () => {
    expect(bytesToQuantity(2 * 1024 ** 3)).toBe('2Gi');
    expect(bytesToQuantity(536870912)).toBe('512Mi');
    expect(bytesToQuantity(1536 * 1024)).toBe('1536Ki');
    expect(bytesToQuantity(1000)).toBe('1000');
  });

  it('cpuQuantity writes millicores, rounded up, at least 1m', () => {
    expect(cpuQuantity(1.5)).toBe('1500m');
    expect(cpuQuantity(0.0001)).toBe('1m');
    expect(cpuQuantity(1 / 3)).toBe('334m');
  });

  it('parseQuantity reads suffixes', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('1Gi')).toBe(1024 ** 3);
    expect(parseQuantity('2')).toBe(2);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('abc')).toBeUndefined();
  });
});

describe('resources from HostConfig', () => {
  it('Memory, MemoryReservation, NanoCpus and CpuShares -> limits and requests', () => {
    const r = translateOne({ HostConfig: { Memory: 536870912, MemoryReservation: 268435456, NanoCpus: 1500000000, CpuShares: 512 } });
    expect(r.container.resources).toEqual({ limits: { cpu: '1500m', memory: '512Mi' }, requests: { cpu: '500m', memory: '256Mi' } });
    assertValidK8s(r.objects);
  });

  it('limits are written in key order, however many and in whatever order they are read', () => {
    const memoryAndCpu = translateOne({ HostConfig: { Memory: 536870912, NanoCpus: 1500000000 } }).container.resources.limits;
    expect(Object.entries(memoryAndCpu)).toEqual([['cpu', '1500m'], ['memory', '512Mi']]);
    const withGpu = translateOne({ HostConfig: { Memory: 536870912, NanoCpus: 1500000000, DeviceRequests: [{ Driver: 'nvidia', Count: 1 }] } });
    expect(Object.entries(withGpu.container.resources.limits)).toEqual([['cpu', '1500m'], ['memory', '512Mi'], ['nvidia.com/gpu', '1']]);
  });

  it('CpuQuota / CpuPeriod -> cpu limit (period defaults to 100000)', () => {
    expect(translateOne({ HostConfig: { CpuQuota: 50000, CpuPeriod: 100000 } }).container.resources).toEqual({ limits: { cpu: '500m' } });
    expect(translateOne({ HostConfig: { CpuQuota: 200000 } }).container.resources).toEqual({ limits: { cpu: '2000m' } });
  });

  it('NanoCpus wins over CpuQuota, with a warning', () => {
    const r = translateOne({ HostConfig: { NanoCpus: 1e9, CpuQuota: 50000, CpuPeriod: 100000 } });
    expect(r.container.resources).toEqual({ limits: { cpu: '1000m' } });
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('HostConfig', 'CpuQuota')]);
  });

  it('CpuPeriod alone warns', () => {
    const r = translateOne({ HostConfig: { CpuPeriod: 100000 } });
    expect(r.container.resources).toBeUndefined();
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('HostConfig', 'CpuPeriod')]);
  });

  it('a cpu request above the limit is lowered to the limit with a warning', () => {
    const r = translateOne({ HostConfig: { CpuShares: 4096, NanoCpus: 1e9 } });
    expect(r.container.resources).toEqual({ limits: { cpu: '1000m' }, requests: { cpu: '1000m' } });
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('HostConfig', 'CpuShares')]);
  });

  it('MemoryReservation above Memory is an error (Docker rejects it too)', () => {
    const r = translateOne({ HostConfig: { Memory: 1048576, MemoryReservation: 2097152 } });
    expect(r.errors.map((e) => e.pointer)).toEqual([co('HostConfig', 'MemoryReservation')]);
    expect(r.objects).toEqual([]);
  });

  it('wrong types are errors, not crashes', () => {
    expect(translateOne({ HostConfig: { Memory: '512m' } }).errors.map((e) => e.pointer)).toEqual([co('HostConfig', 'Memory')]);
    expect(translateOne({ HostConfig: { NanoCpus: 1.5 } }).errors.map((e) => e.pointer)).toEqual([co('HostConfig', 'NanoCpus')]);
  });
});

describe('GPUs', () => {
  it('DeviceRequests with the gpu capability -> nvidia.com/gpu limit and Recreate', () => {
    const r = translateOne({ HostConfig: { DeviceRequests: [{ Driver: 'nvidia', Count: 2, Capabilities: [['gpu']] }] } });
    expect(r.container.resources).toEqual({ limits: { 'nvidia.com/gpu': '2' } });
    expect((r.workload!.spec as { strategy: unknown }).strategy).toEqual({ type: 'Recreate' });
    expect(r.diagnostics).toEqual([]);
    assertValidK8s(r.objects);
  });

  it('Count -1 (all) becomes 1 with a warning', () => {
    const r = translateOne({ HostConfig: { DeviceRequests: [{ Count: -1, Capabilities: [['gpu']] }] } });
    expect(r.container.resources).toEqual({ limits: { 'nvidia.com/gpu': '1' } });
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('HostConfig', 'DeviceRequests', 0, 'Count')]);
  });

  it('DeviceIDs cannot be pinned: their number is requested, with a warning', () => {
    const r = translateOne({ HostConfig: { DeviceRequests: [{ DeviceIDs: ['0', '1'], Capabilities: [['gpu']] }] } });
    expect(r.container.resources).toEqual({ limits: { 'nvidia.com/gpu': '2' } });
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('HostConfig', 'DeviceRequests', 0, 'DeviceIDs')]);
  });

  it('non-GPU device requests warn', () => {
    const r = translateOne({ HostConfig: { DeviceRequests: [{ Driver: 'other', Count: 1, Capabilities: [['tpu']] }] } });
    expect(r.container.resources).toBeUndefined();
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('HostConfig', 'DeviceRequests', 0)]);
  });
});

describe('k8s-experimental.resources', () => {
  it('overrides per resource (Azure Stack Edge example)', () => {
    const r = translateOne({
      HostConfig: { Memory: 1073741824, CpuShares: 256 },
      'k8s-experimental': { resources: { limits: { memory: '128Mi', cpu: '500m', 'nvidia.com/gpu': 2 }, requests: { 'nvidia.com/gpu': 2 } } },
    });
    expect(r.container.resources).toEqual({
      limits: { cpu: '500m', memory: '128Mi', 'nvidia.com/gpu': '2' },
      requests: { cpu: '250m', 'nvidia.com/gpu': '2' },
    });
    assertValidK8s(r.objects);
  });

  it('rejects invalid quantities and impossible requests', () => {
    const bad = translateOne({ 'k8s-experimental': { resources: { limits: { cpu: 'lots' } } } });
    expect(bad.errors.map((e) => e.pointer)).toEqual([co('k8s-experimental', 'resources', 'limits', 'cpu')]);
    const high = translateOne({ 'k8s-experimental': { resources: { limits: { cpu: '1' }, requests: { cpu: '2' } } } });
    expect(high.errors.map((e) => e.pointer)).toEqual([co('k8s-experimental', 'resources')]);
    const gpu = translateOne({ 'k8s-experimental': { resources: { limits: { 'nvidia.com/gpu': 1 }, requests: { 'nvidia.com/gpu': 2 } } } });
    expect(gpu.errors).toHaveLength(1);
  });
});
