/**
 * Host namespaces, DNS and names.
 *
 * Rule: `NetworkMode`/`IpcMode`/`PidMode` "host" -> hostNetwork (+ dnsPolicy
 * ClusterFirstWithHostNet) / hostIPC / hostPID. `ExtraHosts` ("host:ip") -> hostAliases grouped
 * by ip. `Dns`/`DnsSearch`/`DnsOptions` -> dnsConfig (dnsPolicy stays ClusterFirst, so cluster
 * names keep resolving; the given servers are added). `Hostname` -> pod hostname (a DNS-1123
 * label).
 */
import { joinPointer } from '../manifest/index.js';
import type { Issues } from './issues.js';
import type { ModuleSpec } from './spec.js';
import { isIpAddress, readString, readStringList } from './values.js';
import { toDns1123Label } from './names.js';

/** Kubernetes' limits on dnsConfig. */
export const MAX_NAMESERVERS = 3;
export const MAX_SEARCHES = 32;

/** `NetworkMode`: "host" -> hostNetwork; any other network is the pod network (warned). */
export function readNetworkMode(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const mode = readString(value, pointer, issues);
  if (!mode) return;
  if (mode === 'host') {
    spec.pod.hostNetwork = true;
    spec.pod.dnsPolicy = 'ClusterFirstWithHostNet';
  } else if (mode.toLowerCase() === 'host')
    issues.warn(
      pointer,
      `NetworkMode '${mode}' is not 'host': Docker's network modes are case-sensitive, so Docker (and edgeAgent) would look for a network named '${mode}'; write "host" for the host network. Ignored: the pod joins the cluster network`,
    );
  else
    issues.warn(
      pointer,
      `NetworkMode '${mode}' is ignored: every pod joins the cluster network and reaches other modules through their Services (named after the modules)`,
    );
}

/** `IpcMode` / `PidMode`: "host" -> hostIPC / hostPID; Docker's private modes are the default; others warn. */
export function readHostNamespace(
  field: 'hostIPC' | 'hostPID',
  defaults: readonly string[],
): (value: unknown, pointer: string, spec: ModuleSpec, issues: Issues) => void {
  return (value, pointer, spec, issues) => {
    const mode = readString(value, pointer, issues);
    if (!mode || defaults.includes(mode)) return;
    if (mode === 'host') spec.pod[field] = true;
    else issues.warn(pointer, `mode '${mode}' has no Kubernetes equivalent (only "host" maps, to ${field}) and is ignored`);
  };
}

/** `ExtraHosts`: `["myhost:10.0.0.5"]` -> hostAliases `[{ip, hostnames}]`, grouped by ip in order of first use. */
export function readExtraHosts(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const entries = readStringList(value, pointer, issues);
  const byIp = new Map<string, string[]>();
  entries?.forEach((entry, i) => {
    const p = joinPointer(pointer, i);
    const sep = entry.search(/[:=]/);
    const host = sep < 0 ? '' : entry.slice(0, sep);
    const ip = sep < 0 ? '' : entry.slice(sep + 1);
    if (host === '' || ip === '') {
      issues.error(p, `ExtraHosts entry '${entry}' must be HOST:IP`);
      return;
    }
    if (ip === 'host-gateway') {
      issues.warn(p, `ExtraHosts entry '${entry}': host-gateway is a Docker address with no Kubernetes equivalent; the entry is ignored`);
      return;
    }
    if (!isIpAddress(ip)) {
      issues.error(p, `ExtraHosts entry '${entry}' has '${ip}', which is not an IP address`);
      return;
    }
    const hosts = byIp.get(ip) ?? [];
    if (!hosts.includes(host)) hosts.push(host);
    byIp.set(ip, hosts);
  });
  if (byIp.size > 0) spec.pod.hostAliases = [...byIp].map(([ip, hostnames]) => ({ hostnames, ip }));
}

function dnsConfig(spec: ModuleSpec): Record<string, unknown> {
  const current = spec.pod.dnsConfig as Record<string, unknown> | undefined;
  if (current) return current;
  const created: Record<string, unknown> = {};
  spec.pod.dnsConfig = created;
  return created;
}

/** `Dns`: name server IPs -> dnsConfig.nameservers (at most 3). */
export function readDns(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const servers = readStringList(value, pointer, issues);
  if (!servers || servers.length === 0) return;
  servers.forEach((s, i) => {
    if (!isIpAddress(s)) issues.error(joinPointer(pointer, i), `Dns entry '${s}' is not an IP address`);
  });
  if (servers.length > MAX_NAMESERVERS)
    issues.warn(pointer, `Kubernetes allows at most ${MAX_NAMESERVERS} name servers; the first ${MAX_NAMESERVERS} of ${servers.length} are used`);
  dnsConfig(spec).nameservers = servers.slice(0, MAX_NAMESERVERS);
}

/** `DnsSearch` -> dnsConfig.searches. */
export function readDnsSearch(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const searches = readStringList(value, pointer, issues);
  if (!searches || searches.length === 0) return;
  if (searches.length > MAX_SEARCHES)
    issues.warn(pointer, `Kubernetes allows at most ${MAX_SEARCHES} search domains; the first ${MAX_SEARCHES} are used`);
  dnsConfig(spec).searches = searches.slice(0, MAX_SEARCHES);
}

/** `DnsOptions`: `["ndots:2", "rotate"]` -> dnsConfig.options `[{name, value}]`. */
export function readDnsOptions(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const options = readStringList(value, pointer, issues);
  if (!options || options.length === 0) return;
  dnsConfig(spec).options = options.map((o) => {
    const sep = o.indexOf(':');
    return sep < 0 ? { name: o } : { name: o.slice(0, sep), value: o.slice(sep + 1) };
  });
}

/** `Hostname` -> pod hostname (sanitized to a DNS-1123 label, warned when changed). */
export function readHostname(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const hostname = readString(value, pointer, issues);
  if (!hostname) return;
  const s = toDns1123Label(hostname);
  if (s.changed) issues.warn(pointer, `Hostname '${hostname}' is not a DNS-1123 label; the pod hostname is '${s.name}'`);
  spec.pod.hostname = s.name;
}
