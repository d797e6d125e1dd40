/** A resource type the emulator serves, as discovery describes it. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Subresources served besides the main resource. */
  subresources: Array<'status' | 'scale' | 'log'>;
  /** Name of the client-node model class for this kind (for OpenAPI). */
  model: string;
  /** Service names follow DNS-1035; everything else DNS-1123 subdomain or label. */
  nameRule: 'subdomain' | 'label' | 'dns1035';
}

/** Verbs advertised for every served resource. */
export const RESOURCE_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function type(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType {
  const versionTag = version.charAt(0).toUpperCase() + version.slice(1);
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames: [],
    categories: [],
    subresources: [],
    model: `${versionTag}${kind}`,
    nameRule: 'subdomain',
    ...extra,
  };
}

/** Every resource type the emulator serves. */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  type('', 'v1', 'Namespace', 'namespaces', false, { shortNames: ['ns'], subresources: ['status'], nameRule: 'label' }),
  type('', 'v1', 'Node', 'nodes', false, { shortNames: ['no'], subresources: ['status'] }),
  type('', 'v1', 'Pod', 'pods', true, { shortNames: ['po'], categories: ['all'], subresources: ['status', 'log'] }),
  type('', 'v1', 'Service', 'services', true, {
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status'],
    nameRule: 'dns1035',
  }),
  type('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'] }),
  type('', 'v1', 'Secret', 'secrets', true),
  type('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  type('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, {
    shortNames: ['pvc'],
    subresources: ['status'],
  }),
  type('', 'v1', 'PersistentVolume', 'persistentvolumes', false, { shortNames: ['pv'], subresources: ['status'] }),
  type('', 'v1', 'Event', 'events', true, { shortNames: ['ev'], model: 'CoreV1Event' }),
  type('apps', 'v1', 'Deployment', 'deployments', true, {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status', 'scale'],
  }),
  type('apps', 'v1', 'ReplicaSet', 'replicasets', true, {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['status', 'scale'],
  }),
  type('batch', 'v1', 'Job', 'jobs', true, { categories: ['all'], subresources: ['status'] }),
  type('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  type('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  type('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
  type('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  type('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
];

/** "apps/v1" or "v1". */
export function groupVersion(t: { group: string; version: string }): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** Finds a served type by group and plural. */
export function findType(group: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.plural === plural);
}

/** Finds a served type by group and kind. */
export function findTypeByKind(group: string, kind: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.kind === kind);
}

/** Finds a served type by its apiVersion ("apps/v1") and kind. */
export function findTypeByApiVersion(apiVersion: string, kind: string): ResourceType | undefined {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return findTypeByKind(group, kind);
}

/** The group/version pairs served, core first. */
export function servedGroups(): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  for (const t of RESOURCE_TYPES) seen.set(groupVersion(t), { group: t.group, version: t.version });
  return [...seen.values()];
}
