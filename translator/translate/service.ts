/**
 * Ports and Services.
 *
 * Rule: `ExposedPorts` become container ports and Service ports with port = targetPort = the
 * container port. `HostConfig.PortBindings` become container ports and Service ports with
 * port = HostPort and targetPort = the container port (a binding without HostPort publishes the
 * container port).
 *
 * Every module gets a headless Service named after it, so its name resolves inside the cluster
 * to its pod on any port (IoT Edge's Docker network: `sql:1433`, `edgeHub:9600`). A module that
 * binds ports also gets `<module>-published`, of the configured PortBindings type (default
 * LoadBalancer, as on Azure Stack Edge), with port = HostPort: the bound port outside the
 * device, while in-device callers keep the container port through the module's name.
 * `k8s-experimental.serviceOptions` overrides the published type and sets loadBalancerIP (a
 * module that only exposes ports is published too when serviceOptions names a type). Docker
 * `Labels` are annotations of both Services as well as of the pods.
 */
import { joinPointer } from '../manifest/index.js';
import type { TranslateOptions } from './options.js';
import type { KubeObject } from './types.js';
import type { Issues } from './issues.js';
import type { ModuleSpec, Protocol, ServicePort } from './spec.js';
import { isObject, readArray, readObject, readString, typeName } from './values.js';
import { assignedObjectLabels, ORIGINAL_MODULE_ID_ANNOTATION, type DeviceLabels, type ModuleLabels, type ModuleMetadata } from './labels.js';
import { compareText, hasKeys, sortedRecord } from './canonical.js';
import { MAX_LABEL_LENGTH, withHash } from './names.js';
import { assignOwn, sortBy, sortedKeys } from '../shared/index.js';

/** Longest port range (`8000-8099/tcp`) expanded into single ports. */
export const MAX_PORT_RANGE = 100;

/** A Map: no inherited members, so `80/constructor` is no port. */
const PROTOCOLS: ReadonlyMap<string, Protocol> = new Map([
  ['tcp', 'TCP'],
  ['udp', 'UDP'],
  ['sctp', 'SCTP'],
]);

/**
 * The port number written in `text` from `from` to `to` (exclusive): 1 to 5 ASCII digits (leading
 * zeros allowed) of a number from 1 to 65535, read digit by digit in place (no substring).
 */
function parsePortNumber(text: string, from: number, to: number): number | undefined {
  if (to - from < 1 || to - from > 5) return undefined;
  let n = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    n = n * 10 + digit;
  }
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** A port key's protocol name in any case (`tcp`, `UDP`). */
function protocolOf(name: string): Protocol | undefined {
  // The usual names compared as written: a lookup in the Map would hash the new substring first.
  if (name === 'tcp') return 'TCP';
  if (name === 'udp') return 'UDP';
  return PROTOCOLS.get(name.toLowerCase());
}

/** The ports of a Docker port key: `low` to `high` (the same for one port), one protocol. */
interface PortRange {
  low: number;
  high: number;
  protocol: Protocol;
}

/**
 * Parses a Docker port key (`80`, `80/tcp`, `8000-8010/udp`) into its range of ports; records an
 * error at `parent`/`key` and returns undefined when it is not one. (The pointer is built only
 * for an error: a port key holds a `/`, which a pointer escapes.)
 */
function parsePortKey(key: string, parent: string, issues: Issues): PortRange | undefined {
  // PORT[-PORT][/PROTOCOL], read by position (no arrays or substrings for the port numbers).
  const slash = key.indexOf('/');
  const protocol = slash < 0 ? 'TCP' : protocolOf(key.slice(slash + 1));
  if (protocol === undefined) {
    issues.error(joinPointer(parent, key), `port '${key}' must be PORT[/PROTOCOL] with protocol tcp, udp or sctp`);
    return undefined;
  }
  const end = slash < 0 ? key.length : slash;
  // Any `-` is in the range: a protocol name with one was refused above.
  const dash = key.indexOf('-');
  const low = parsePortNumber(key, 0, dash < 0 ? end : dash);
  const high = dash < 0 ? low : parsePortNumber(key, dash + 1, end);
  if (low === undefined || high === undefined || high < low) {
    issues.error(joinPointer(parent, key), `port '${key}' must be a port number from 1 to 65535 (or a range LOW-HIGH)`);
    return undefined;
  }
  if (high - low + 1 > MAX_PORT_RANGE) {
    issues.error(joinPointer(parent, key), `port range '${key}' has ${high - low + 1} ports; at most ${MAX_PORT_RANGE} are supported`);
    return undefined;
  }
  return { low, high, protocol };
}

/** `ExposedPorts`: `{"80/tcp": {}}`. */
export function readExposedPorts(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const obj = readObject(value, pointer, issues);
  if (!obj) return;
  for (const key of sortedKeys(obj)) {
    const range = parsePortKey(key, pointer, issues);
    if (range) for (let p = range.low; p <= range.high; p++) spec.exposedPorts.push({ port: p, protocol: range.protocol });
  }
}

/** `HostConfig.PortBindings`: `{"80/tcp": [{"HostPort": "8080", "HostIp": ""}]}`. */
export function readPortBindings(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const obj = readObject(value, pointer, issues);
  if (!obj) return;
  for (const key of sortedKeys(obj)) {
    const range = parsePortKey(key, pointer, issues);
    const bindings = readArray(obj[key], () => joinPointer(pointer, key), issues);
    if (!range) continue;
    if (!bindings || bindings.length === 0) {
      // No binding list: Docker publishes on an ephemeral host port; we publish the container port.
      for (let p = range.low; p <= range.high; p++) spec.portBindings.push({ containerPort: p, protocol: range.protocol, hostPort: p });
      continue;
    }
    for (let i = 0; i < bindings.length; i++) readBinding(bindings[i], pointer, key, i, range, spec, issues);
  }
}

/** Binding `i` of port key `key` (the ports of `range`) in PortBindings at `parent` (pointers are built only for a diagnostic). */
function readBinding(binding: unknown, parent: string, key: string, i: number, range: PortRange, spec: ModuleSpec, issues: Issues): void {
  if (!isObject(binding)) {
    const pointer = joinPointer(parent, key, i);
    issues.error(pointer, `expected an object {"HostPort": "..."} at ${pointer}, found ${typeName(binding)}`);
    return;
  }
  for (const field of sortedKeys(binding)) {
    if (field !== 'HostPort' && field !== 'HostIp') issues.warn(joinPointer(parent, key, i, field), `port binding field '${field}' is not supported and is ignored`);
  }
  const hostIp = readString(binding.HostIp, () => joinPointer(parent, key, i, 'HostIp'), issues);
  if (hostIp && !['0.0.0.0', '::'].includes(hostIp)) {
    issues.warn(
      joinPointer(parent, key, i, 'HostIp'),
      `HostIp '${hostIp}' is ignored: a Service listens on the addresses of its type; use k8s-experimental.serviceOptions.loadBalancerIP to pick one`,
    );
  }
  const hostPortText = readString(binding.HostPort, () => joinPointer(parent, key, i, 'HostPort'), issues);
  let hostOffset: number | undefined;
  if (hostPortText !== undefined && hostPortText !== '') {
    // The first two fields of hostPortText.split('-'), found with indexOf (split costs far more here).
    const dash = hostPortText.indexOf('-');
    const next = dash < 0 ? -1 : hostPortText.indexOf('-', dash + 1);
    const low = parsePortNumber(hostPortText, 0, dash < 0 ? hostPortText.length : dash);
    const high = dash < 0 ? low : parsePortNumber(hostPortText, dash + 1, next < 0 ? hostPortText.length : next);
    if (low === undefined || high === undefined || high - low + 1 !== (dash < 0 ? 1 : range.high - range.low + 1)) {
      issues.error(joinPointer(parent, key, i, 'HostPort'), `HostPort '${hostPortText}' must be a port number from 1 to 65535 (or a range as long as the container range)`);
      return;
    }
    hostOffset = low;
  }
  const many = range.high > range.low;
  for (let port = range.low; port <= range.high; port++) {
    const hostPort = hostOffset === undefined ? port : many ? hostOffset + port - range.low : hostOffset;
    spec.portBindings.push({ containerPort: port, protocol: range.protocol, hostPort });
  }
}

/** Ports by number, then protocol. */
const byPort = (a: { port: number; protocol: Protocol }, b: { port: number; protocol: Protocol }): number => a.port - b.port || compareText(a.protocol, b.protocol);

/** The prefix of a port's name, by protocol: no lower-casing per port. */
const NAME_PREFIX: Readonly<Record<Protocol, string>> = { TCP: 'tcp-', UDP: 'udp-', SCTP: 'sctp-' };

/** A port name (IANA_SVC_NAME, at most 15 characters): `tcp-8080`. */
export function portName(protocol: Protocol, port: number): string {
  return NAME_PREFIX[protocol] + port;
}

/** A container port of the pod, in output key order. */
export interface ContainerPort {
  containerPort: number;
  name: string;
  protocol: Protocol;
}

/** The container ports: every exposed and bound container port once, sorted. */
export function containerPorts(spec: ModuleSpec): ContainerPort[] {
  const ports: ContainerPort[] = [];
  // A module has a few ports, searched in the list; a long list (ranges) is indexed.
  const index = spec.exposedPorts.length + spec.portBindings.length > SEARCH_LIMIT ? new Set<string>() : undefined;
  for (const p of spec.exposedPorts) addContainerPort(ports, index, p.port, p.protocol);
  for (const b of spec.portBindings) addContainerPort(ports, index, b.containerPort, b.protocol);
  return sortBy(ports, byContainerPort);
}

/** Adds a container port unless `ports` has it (found through `index` when there is one). */
function addContainerPort(ports: ContainerPort[], index: Set<string> | undefined, port: number, protocol: Protocol): void {
  if (index !== undefined) {
    const key = `${protocol}/${port}`;
    if (index.has(key)) return;
    index.add(key);
  } else for (let i = 0; i < ports.length; i++) if (ports[i]!.containerPort === port && ports[i]!.protocol === protocol) return;
  ports.push({ containerPort: port, name: portName(protocol, port), protocol });
}

/** Container ports by number, then protocol. */
const byContainerPort = (a: ContainerPort, b: ContainerPort): number => a.containerPort - b.containerPort || compareText(a.protocol, b.protocol);

/**
 * The Service ports: bindings (port = HostPort) then exposed ports (port = container port),
 * one per (port, protocol). Two entries for the same port and protocol with different targets
 * are an error, at `HostConfig/PortBindings` of the createOptions at `pointer`.
 * interpretCreateOptions finds them once and keeps them in the spec (`servicePorts`).
 */
export function servicePorts(spec: ModuleSpec, pointer: string, issues: Issues): ServicePort[] {
  const ports: ServicePort[] = [];
  // A module has a few ports, searched in the list; a long list (ranges) is indexed.
  const index = spec.portBindings.length + spec.exposedPorts.length > SEARCH_LIMIT ? new Map<string, number>() : undefined;
  for (const b of spec.portBindings) addServicePort(ports, index, b.protocol, b.hostPort, b.containerPort, 'HostConfig.PortBindings', pointer, issues);
  for (const p of spec.exposedPorts) addServicePort(ports, index, p.protocol, p.port, p.port, 'ExposedPorts', pointer, issues);
  return sortBy(ports, byPort);
}

/** Up to this many candidate ports, {@link servicePorts} searches its list instead of indexing it. */
const SEARCH_LIMIT = 32;

/**
 * Adds one Service port, or replaces the entry of the same port and protocol in place; an entry
 * of the same port and protocol for another target is kept, with an error.
 */
function addServicePort(
  ports: ServicePort[],
  index: Map<string, number> | undefined,
  protocol: Protocol,
  port: number,
  targetPort: number,
  what: string,
  pointer: string,
  issues: Issues,
): void {
  let at = -1;
  if (index !== undefined) at = index.get(`${protocol}/${port}`) ?? -1;
  else for (let i = 0; i < ports.length && at < 0; i++) if (ports[i]!.port === port && ports[i]!.protocol === protocol) at = i;
  if (at >= 0 && ports[at]!.targetPort !== targetPort) {
    issues.error(joinPointer(pointer, 'HostConfig', 'PortBindings'), `${what} publishes ${protocol.toLowerCase()}/${port} for container port ${targetPort}, but it already publishes container port ${ports[at]!.targetPort}`);
    return;
  }
  const entry = { name: portName(protocol, port), port, protocol, targetPort };
  if (at >= 0) ports[at] = entry;
  else {
    index?.set(`${protocol}/${port}`, ports.length);
    ports.push(entry);
  }
}

export interface ServiceInput {
  name: string;
  /** Name of the Service that publishes ports outside the device (see {@link publishedServiceName}). */
  publishedName: string;
  spec: ModuleSpec;
  /** The module's container ports ({@link containerPorts}), found once for the pod and the headless Service. */
  containerPorts: readonly ContainerPort[];
  /** The annotations of both Services ({@link serviceAnnotations}), built once and shared by them. */
  annotations: Record<string, string>;
  device: DeviceLabels;
  /** The module's labels, selector and metadata, shared with its other objects. */
  module: ModuleLabels;
  options: TranslateOptions;
  /** Pointer of the module's createOptions, for diagnostics about the Service as a whole. */
  pointer: string;
  issues: Issues;
}

/** Suffix of the Service that publishes a module's bound ports. */
export const PUBLISHED_SUFFIX = '-published';

/** `<module>-published`, shortened with a hash to stay a DNS-1035 label. */
export function publishedServiceName(moduleName: string): string {
  const name = `${moduleName}${PUBLISHED_SUFFIX}`;
  return name.length <= MAX_LABEL_LENGTH ? name : withHash(moduleName, name, MAX_LABEL_LENGTH - PUBLISHED_SUFFIX.length) + PUBLISHED_SUFFIX;
}

/**
 * The annotations of a module's Services: its Docker `Labels` (load-balancer settings live on
 * Services) and the original module id. Without Labels, the module metadata's own annotations
 * (the same object).
 */
export function serviceAnnotations(spec: ModuleSpec, module: ModuleLabels): Record<string, string> {
  const own = module.metadata.annotations;
  if (!hasKeys(spec.annotations)) return own;
  const annotations = assignOwn<string>({}, spec.annotations);
  annotations[ORIGINAL_MODULE_ID_ANNOTATION] = own[ORIGINAL_MODULE_ID_ANNOTATION]!;
  return sortedRecord(annotations);
}

/** Service metadata: the module's Docker `Labels` become annotations here too. */
function serviceMetadata(input: ServiceInput, name: string): ModuleMetadata {
  const own = input.module.metadata;
  // The headless Service of a module without Labels: the module's own metadata.
  if (name === own.name && input.annotations === own.annotations) return own;
  return {
    annotations: input.annotations,
    labels: name === own.name ? own.labels : assignedObjectLabels(input.device, name, input.name),
    name,
    namespace: input.options.namespace,
  };
}

/** The headless Service's port for a container port: port = targetPort, as headless Services require. */
const headlessPort = (p: ContainerPort): ServicePort => ({ name: p.name, port: p.containerPort, protocol: p.protocol, targetPort: p.containerPort });

/**
 * The module's headless Service, named after the module: its name resolves to the module's pod
 * inside the cluster on every port it listens on, as a container name does on IoT Edge's Docker
 * network (`edgeHub:9600`, `sql:1433`), whether or not createOptions mentions the port. It lists
 * the known container ports (port = targetPort, as headless Services require) for SRV records.
 */
export function buildHeadlessService(input: ServiceInput): KubeObject {
  const selector = input.module.selector;
  // Docker resolves a container's name as soon as it runs, healthy or not: publishNotReadyAddresses.
  // Keys in output order, ports only when there are some; map: a list of the exact length (one
  // built by push takes room for 17 items).
  const spec =
    input.containerPorts.length === 0
      ? { clusterIP: 'None', publishNotReadyAddresses: true, selector }
      : { clusterIP: 'None', ports: input.containerPorts.map(headlessPort), publishNotReadyAddresses: true, selector };
  return { apiVersion: 'v1', kind: 'Service', metadata: serviceMetadata(input, input.name), spec };
}

/** True when `ports` have more than one protocol (checked without a Set: most have one). */
function hasMixedProtocols(ports: readonly ServicePort[]): boolean {
  for (let i = 1; i < ports.length; i++) if (ports[i]!.protocol !== ports[0]!.protocol) return true;
  return false;
}

/** Warns when the published LoadBalancer Service has ports of more than one protocol. */
function warnMixedProtocols(input: ServiceInput, ports: readonly ServicePort[]): void {
  if (hasMixedProtocols(ports)) {
    const protocols = new Set(ports.map((p) => p.protocol));
    input.issues.warn(
      joinPointer(input.pointer, 'HostConfig', 'PortBindings'),
      `Service '${input.publishedName}' is a LoadBalancer with ${[...protocols].sort().join(' and ')} ports: Kubernetes allows this since 1.26, but some load balancers (MetalLB on Azure Stack Edge) need one Service per protocol`,
      'mixed-protocol-load-balancer',
    );
  }
}

/**
 * The Service that publishes the module outside the device (`HostConfig.PortBindings`, or any
 * port when `k8s-experimental.serviceOptions.type` asks for one), or undefined when there is
 * nothing to publish.
 */
export function buildService(input: ServiceInput): KubeObject | undefined {
  const { spec, options, issues } = input;
  // Nothing to publish and nothing to warn about (the ports were checked with the createOptions).
  if (spec.portBindings.length === 0 && spec.experimental.serviceOptions === undefined) return undefined;
  // Found (and checked) when the createOptions were read.
  const ports = spec.servicePorts;
  const serviceOptions = spec.experimental.serviceOptions ?? {};
  if (ports.length === 0 || (spec.portBindings.length === 0 && serviceOptions.type === undefined)) {
    if (spec.experimental.serviceOptions && ports.length === 0)
      issues.warn(joinPointer(input.pointer, 'k8s-experimental', 'serviceOptions'), 'serviceOptions are ignored: the module publishes no ports');
    else if (spec.experimental.serviceOptions?.loadBalancerIP !== undefined)
      issues.warn(
        joinPointer(input.pointer, 'k8s-experimental', 'serviceOptions', 'loadBalancerIP'),
        'loadBalancerIP is ignored: the module binds no ports (set serviceOptions.type to publish its exposed ports)',
      );
    return undefined;
  }
  const type = serviceOptions.type ?? options.portBindingServiceType;
  let loadBalancerIP = serviceOptions.loadBalancerIP;
  if (loadBalancerIP !== undefined && type !== 'LoadBalancer') {
    issues.warn(
      joinPointer(input.pointer, 'k8s-experimental', 'serviceOptions', 'loadBalancerIP'),
      `loadBalancerIP is ignored: the Service type is ${type}, not LoadBalancer`,
    );
    loadBalancerIP = undefined;
  }
  if (type === 'LoadBalancer') warnMixedProtocols(input, ports);
  const selector = input.module.selector;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: serviceMetadata(input, input.publishedName),
    // Keys in output order (see canonical.ts), loadBalancerIP only when set.
    spec: loadBalancerIP === undefined ? { ports, selector, type } : { loadBalancerIP, ports, selector, type },
  };
}
