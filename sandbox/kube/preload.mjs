/**
 * Preloaded (`node --import`) into every Node process the sandbox kubelet runs:
 *
 * - Service names: `dns.lookup` (which net, tls, http and fetch use) answers `<service>`,
 *   `<service>.<namespace>`, `<service>.<namespace>.svc` and `<service>.<namespace>.svc.cluster.local`
 *   with the Service's proxy address, read from the JSON file named by SANDBOX_HOSTS_FILE
 *   (`{"<service>.<namespace>": "127.101.a.b"}`); a bare name is looked up in SANDBOX_NAMESPACE,
 *   as the cluster DNS search path does. Other names resolve as usual.
 * - Parent watchdog: when the emulator that started this process goes away (even by SIGKILL),
 *   the process ends itself, so no module process outlives its sandbox.
 */
import dns from 'node:dns';
import { readFileSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const hostsFile = process.env.SANDBOX_HOSTS_FILE;
const namespace = process.env.SANDBOX_NAMESPACE ?? 'default';
let cache = { mtimeMs: -1, size: -1, hosts: {} };

function hosts() {
  if (!hostsFile) return {};
  try {
    const stat = statSync(hostsFile);
    if (stat.mtimeMs !== cache.mtimeMs || stat.size !== cache.size) {
      cache = { mtimeMs: stat.mtimeMs, size: stat.size, hosts: JSON.parse(readFileSync(hostsFile, 'utf8')) };
    }
  } catch {
    return cache.hosts;
  }
  return cache.hosts;
}

/** The proxy address of a Service name, or undefined. */
function serviceAddress(hostname) {
  if (typeof hostname !== 'string') return undefined;
  const name = hostname.toLowerCase().replace(/\.$/, '').replace(/\.svc(\.cluster\.local)?$/, '');
  const parts = name.split('.');
  const table = hosts();
  if (parts.length === 1) return table[`${name}.${namespace}`];
  if (parts.length === 2) return table[name];
  return undefined;
}

const originalLookup = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  const opts = typeof options === 'function' || options === undefined ? {} : typeof options === 'number' ? { family: options } : options;
  const address = serviceAddress(hostname);
  if (address === undefined || opts.family === 6) return originalLookup.call(dns, hostname, options, callback);
  process.nextTick(() => (opts.all ? cb(null, [{ address, family: 4 }]) : cb(null, address, 4)));
  return {};
};
const originalPromiseLookup = dns.promises.lookup;
dns.promises.lookup = async function lookup(hostname, options) {
  const opts = typeof options === 'number' ? { family: options } : (options ?? {});
  const address = serviceAddress(hostname);
  if (address === undefined || opts.family === 6) return originalPromiseLookup.call(dns.promises, hostname, options);
  return opts.all ? [{ address, family: 4 }] : { address, family: 4 };
};
syncBuiltinESMExports();

const parent = process.ppid;
globalThis.setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
}, 500).unref();
