/**
 * Registry credentials.
 *
 * Rule: each `registryCredentials` entry becomes one `kubernetes.io/dockerconfigjson` Secret
 * named `pull-<credential key>` (sanitized), holding `{"auths": {address: {username, password,
 * auth}}}`. A module's pod lists, as imagePullSecrets, the Secrets whose registry is the host
 * part of its image (docker.io when the image names none).
 */
import type { RegistryCredential } from '../manifest/index.js';
import type { KubeObject } from './types.js';
import type { TranslateOptions } from './options.js';
import { objectLabels, type DeviceLabels } from './labels.js';
import { assignNames, toDnsSubdomain, type AssignedName } from './names.js';
import { sortStrings } from '../shared/index.js';

/** The registry Docker Hub images come from. */
export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
/** The auths key Docker (and the kubelet) use for Docker Hub. */
const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

/**
 * Registries already normalized, by address: a deployment names a few registries, and each is
 * normalized for its Secret and again to match images, on every translation. Cleared when full,
 * so a long-running bridge keeps at most this many addresses.
 */
const normalizedRegistries = new Map<string, string>();
const MAX_NORMALIZED_REGISTRIES = 64;

/** A registry address in comparable form: no scheme, no path, lowercase; Docker Hub aliases -> docker.io. */
export function normalizeRegistry(address: string): string {
  let registry = normalizedRegistries.get(address);
  if (registry === undefined) {
    if (normalizedRegistries.size >= MAX_NORMALIZED_REGISTRIES) normalizedRegistries.clear();
    registry = registryHost(address);
    normalizedRegistries.set(address, registry);
  }
  return registry;
}

function registryHost(address: string): string {
  let host = address.trim();
  // A scheme (`https://`): the text before the first ':' when `//` follows it and it is a scheme name.
  const colon = host.indexOf(':');
  if (colon > 0 && host.startsWith('//', colon + 1) && SCHEME.test(host.slice(0, colon))) host = host.slice(colon + 3);
  const slash = host.indexOf('/');
  if (slash >= 0) host = host.slice(0, slash);
  host = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}

/** A URI scheme name (RFC 3986). */
const SCHEME = /^[a-z][a-z0-9+.-]*$/i;

/** The registry of an image reference: its first path part when that looks like a host, else docker.io. */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return DOCKER_HUB;
  const first = image.slice(0, slash);
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  return isHost ? normalizeRegistry(first) : DOCKER_HUB;
}

/** Secret names for credentials (`pull-<key>`), collisions resolved by hash. */
export function pullSecretNames(credentials: readonly RegistryCredential[], unavailable: ReadonlyMap<string, string> = new Map()): Map<string, AssignedName> {
  return assignNames(
    credentials.map((c) => c.name),
    (name) => toDnsSubdomain(`pull-${name}`),
    [],
    unavailable,
  );
}

/** The Secret of one credential. */
export function buildPullSecret(credential: RegistryCredential, name: string, device: DeviceLabels, options: TranslateOptions): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { labels: objectLabels(device, name), name, namespace: options.namespace },
    data: { '.dockerconfigjson': dockerConfigData(credential) },
    type: 'kubernetes.io/dockerconfigjson',
  };
}

/** A credential and its Secret's data, as {@link dockerConfigData} made it. */
interface EncodedCredential {
  address: string;
  username: string;
  password: string;
  data: string;
}

/**
 * The data of the credentials encoded lately. The same credentials come back on every
 * translation of a deployment, and their encoding (JSON, then two base64 passes through
 * `Buffer`) was the largest fixed cost of a translation. A few entries: a deployment has a
 * handful of credentials; the oldest goes first.
 */
const recentlyEncoded: EncodedCredential[] = [];
const MAX_RECENTLY_ENCODED = 16;

/** The base64 `.dockerconfigjson` of a credential: `{"auths": {address: {username, password, auth}}}`. */
function dockerConfigData({ address, username, password }: RegistryCredential): string {
  for (let i = 0; i < recentlyEncoded.length; i++) {
    const e = recentlyEncoded[i]!;
    if (e.address === address && e.username === username && e.password === password) return e.data;
  }
  const registry = normalizeRegistry(address);
  const key = registry === DOCKER_HUB ? DOCKER_HUB_AUTH_KEY : registry;
  const auth = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
  const config = { auths: { [key]: { username, password, auth } } };
  const data = Buffer.from(JSON.stringify(config), 'utf8').toString('base64');
  if (recentlyEncoded.length >= MAX_RECENTLY_ENCODED) recentlyEncoded.shift();
  recentlyEncoded.push({ address, username, password, data });
  return data;
}

/**
 * The names of the pull Secrets matching an image, sorted. Built by a loop, as are the entries of
 * {@link pullSecretRefs}: an empty list (a registry without credentials) and a filled one differ
 * in V8's element kind, and with `filter`/`map`/`sort` calls on both inlined into translate(), a
 * 200-module translation fell into repeated deoptimizations there (`--trace-deopt`: over 100 per
 * second, "wrong map") for seconds at a time.
 */
export function pullSecretsFor(
  image: string,
  credentials: readonly RegistryCredential[],
  names: ReadonlyMap<string, AssignedName>,
): string[] {
  const registry = registryOf(image);
  const found: string[] = [];
  for (const c of credentials) if (normalizeRegistry(c.address) === registry) found.push(names.get(c.name)!.name);
  return sortStrings(found);
}

/**
 * The pod's `imagePullSecrets` entries for a list of pull Secret names, built once per list: the
 * lists of {@link pullSecretFinder} are shared by the modules of a registry, and so are these
 * entries (read-only, as every translated object).
 */
export function pullSecretRefs(): (names: readonly string[]) => readonly { name: string }[] {
  const refs = new Map<readonly string[], readonly { name: string }[]>();
  return (names) => {
    let list = refs.get(names);
    if (list === undefined) {
      const entries: { name: string }[] = [];
      for (const name of names) entries.push({ name });
      list = entries;
      refs.set(names, list);
    }
    return list;
  };
}

/**
 * {@link pullSecretsFor} as a function of the image, each registry's Secrets found once (a
 * deployment's modules mostly share a registry or two). The lists it returns are shared between
 * the modules of a registry: read-only. Looked up by the image's text before its first `/` (all
 * that {@link registryOf} reads), so an image of a registry already met costs no normalization.
 */
export function pullSecretFinder(credentials: readonly RegistryCredential[], names: ReadonlyMap<string, AssignedName>): (image: string) => readonly string[] {
  const byRegistry = new Map<string, string[]>();
  const byPrefix = new Map<string, string[]>();
  // The previous image's prefix and Secrets: the next module's image mostly has the same prefix,
  // found then by a comparison, without cutting the prefix out and hashing it for the lookup.
  let lastPrefix = '';
  let lastSecrets: string[] | undefined;
  return (image) => {
    const slash = image.indexOf('/');
    if (lastSecrets !== undefined && (slash < 0 ? 0 : slash) === lastPrefix.length && image.startsWith(lastPrefix)) return lastSecrets;
    const prefix = slash < 0 ? '' : image.slice(0, slash);
    lastPrefix = prefix;
    let secrets = byPrefix.get(prefix);
    if (secrets !== undefined) return (lastSecrets = secrets);
    const registry = registryOf(image);
    secrets = byRegistry.get(registry);
    if (secrets === undefined) {
      secrets = pullSecretsFor(image, credentials, names);
      byRegistry.set(registry, secrets);
    }
    byPrefix.set(prefix, secrets);
    return (lastSecrets = secrets);
  };
}
