/**
 * Discovery documents: /version, /api, /apis and the group-version resource lists.
 */
import { createHash } from 'node:crypto';
import { groupVersion, RESOURCE_TYPES, RESOURCE_VERBS, servedGroups } from './resources.js';
import type { JsonObject } from './types.js';

/** The Kubernetes version the emulator reports. */
export const EMULATED_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0' };

/** GET /version. */
export function versionInfo(): JsonObject {
  return {
    ...EMULATED_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64',
    emulator: 'iotedge-k8s sandbox',
  };
}

/** GET /api. */
export function coreVersions(serverAddress: string): JsonObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** GET /apis. */
export function groupList(): JsonObject {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: servedGroups()
      .filter((g) => g.group !== '')
      .map((g) => {
        const version = { groupVersion: groupVersion(g), version: g.version };
        return { name: g.group, versions: [version], preferredVersion: version };
      }),
  };
}

/** GET /apis/<group>; undefined when the group is not served. */
export function apiGroup(group: string): JsonObject | undefined {
  const served = servedGroups().find((g) => g.group === group && group !== '');
  if (!served) return undefined;
  const version = { groupVersion: groupVersion(served), version: served.version };
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: [version], preferredVersion: version };
}

/** GET /api/v1 or /apis/<group>/<version>; undefined when not served. */
export function resourceList(group: string, version: string): JsonObject | undefined {
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  const resources: JsonObject[] = [];
  for (const t of types) {
    const entry: JsonObject = {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: RESOURCE_VERBS,
      storageVersionHash: createHash('sha256').update(`${groupVersion(t)}/${t.kind}`).digest('base64').slice(0, 11),
    };
    if (t.shortNames.length > 0) entry.shortNames = t.shortNames;
    if (t.categories.length > 0) entry.categories = t.categories;
    resources.push(entry);
    for (const sub of t.subresources) {
      if (sub === 'log') resources.push({ name: `${t.plural}/log`, singularName: '', namespaced: t.namespaced, kind: 'Pod', verbs: ['get'] });
      else if (sub === 'scale') {
        resources.push({
          name: `${t.plural}/scale`,
          singularName: '',
          namespaced: t.namespaced,
          group: 'autoscaling',
          version: 'v1',
          kind: 'Scale',
          verbs: ['get', 'patch', 'update'],
        });
      } else resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? version : `${group}/${version}`, resources };
}
