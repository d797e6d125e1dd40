/**
 * Names Kubernetes (or the bridge itself) already gives objects in a namespace. A generated
 * object of the same kind and name would overwrite or fight with them: a module named `default`
 * would take over the namespace's own ServiceAccount, one named `kubernetes` in the `default`
 * namespace the API server's Service. Generated names avoid them (a hash suffix, with a
 * warning), and every translated object is checked against them once more.
 */
import type { KubeObject } from './types.js';

interface ReservedName {
  kind: string;
  name: string;
  owner: string;
  /** Only in this namespace. */
  namespace?: string;
}

/** The bridge's own object names (its install manifest and its last-good Secret). */
export const BRIDGE_NAME = 'iotedge-k8s';
export const LAST_GOOD_SECRET_NAME = 'iotedge-k8s-last-good';

const RESERVED: readonly ReservedName[] = [
  { kind: 'ServiceAccount', name: 'default', owner: "the namespace's own ServiceAccount 'default' (created by Kubernetes)" },
  { kind: 'ConfigMap', name: 'kube-root-ca.crt', owner: "the ConfigMap 'kube-root-ca.crt' Kubernetes publishes in every namespace" },
  { kind: 'Service', name: 'kubernetes', namespace: 'default', owner: "the API server's Service 'kubernetes' in namespace 'default'" },
  { kind: 'ServiceAccount', name: BRIDGE_NAME, owner: `the bridge's own ServiceAccount '${BRIDGE_NAME}'` },
  { kind: 'Deployment', name: BRIDGE_NAME, owner: `the bridge's own Deployment '${BRIDGE_NAME}'` },
  { kind: 'Service', name: BRIDGE_NAME, owner: `the bridge's own Service '${BRIDGE_NAME}'` },
  { kind: 'Secret', name: LAST_GOOD_SECRET_NAME, owner: `the bridge's Secret '${LAST_GOOD_SECRET_NAME}' (the last good deployment)` },
];

/** Every reserved name, whatever its kind: most objects are none of them. */
const RESERVED_NAMES: ReadonlySet<string> = new Set(RESERVED.map((r) => r.name));
/**
 * The lengths of the reserved names: a name of another length is none of them, found without
 * hashing it (every object's name is a new string, which a Set lookup hashes first).
 */
const RESERVED_LENGTHS: ReadonlySet<number> = new Set(RESERVED.map((r) => r.name.length));

/** Reserved names of `kinds` in `namespace`, each with what owns it. */
export function reservedNames(kinds: readonly string[], namespace: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of RESERVED)
    if (kinds.includes(r.kind) && (r.namespace === undefined || r.namespace === namespace) && !out.has(r.name)) out.set(r.name, r.owner);
  return out;
}

/** What owns `object`'s kind and name in `namespace`, or undefined when nothing does. */
export function reservedOwner(object: Pick<KubeObject, 'kind' | 'metadata'>, namespace: string): string | undefined {
  const name = object.metadata.name;
  if (!RESERVED_LENGTHS.has(name.length) || !RESERVED_NAMES.has(name)) return undefined;
  for (const r of RESERVED) if (r.kind === object.kind && r.name === name && (r.namespace === undefined || r.namespace === namespace)) return r.owner;
  return undefined;
}
