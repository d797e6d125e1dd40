/**
 * RBAC authorization as the real API server's RBAC authorizer decides it: a request is allowed
 * when a rule of a Role bound in the request's namespace (RoleBinding), or of a ClusterRole
 * bound there or cluster-wide (ClusterRoleBinding), matches its API group, resource (with
 * subresource), verb and name. Deny-by-default; no wildcard is implied.
 *
 * @see kubernetes/plugin/pkg/auth/authorizer/rbac (rbac.go, the rule matching in
 *      pkg/apis/rbac/v1/evaluation_helpers.go) for the semantics followed here.
 */
import { KubeApiError } from './errors.js';
import { isObject, type KubeObject } from './types.js';

/** Who makes a request. */
export interface UserInfo {
  name: string;
  groups: string[];
}

/** What a request does (authorizer.Attributes of a resource request). */
export interface RequestAttributes {
  verb: string;
  apiGroup: string;
  resource: string;
  subresource?: string;
  /** Empty for cluster-scoped requests. */
  namespace?: string;
  name?: string;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames: string[];
}

/** The RBAC objects an authorization reads. */
export interface RbacObjects {
  roles: (namespace: string) => KubeObject[];
  roleBindings: (namespace: string) => KubeObject[];
  clusterRoles: () => KubeObject[];
  clusterRoleBindings: () => KubeObject[];
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function rulesOf(role: KubeObject | undefined): Rule[] {
  if (!role || !Array.isArray(role['rules'])) return [];
  return (role['rules'] as unknown[]).filter(isObject).map((r) => ({
    apiGroups: strings(r['apiGroups']),
    resources: strings(r['resources']),
    verbs: strings(r['verbs']),
    resourceNames: strings(r['resourceNames']),
  }));
}

function subjectMatches(subject: unknown, user: UserInfo, bindingNamespace: string | undefined): boolean {
  if (!isObject(subject)) return false;
  const name = subject['name'];
  switch (subject['kind']) {
    case 'User':
      return name === user.name;
    case 'Group':
      return typeof name === 'string' && user.groups.includes(name);
    case 'ServiceAccount': {
      const ns = typeof subject['namespace'] === 'string' && subject['namespace'] !== '' ? subject['namespace'] : bindingNamespace;
      return user.name === `system:serviceaccount:${ns}:${String(name)}`;
    }
    default:
      return false;
  }
}

function binds(binding: KubeObject, user: UserInfo): boolean {
  return Array.isArray(binding['subjects']) && (binding['subjects'] as unknown[]).some((s) => subjectMatches(s, user, binding.metadata.namespace));
}

function roleRef(binding: KubeObject): { kind: string; name: string } | undefined {
  const ref = binding['roleRef'];
  if (!isObject(ref) || ref['apiGroup'] !== 'rbac.authorization.k8s.io' || typeof ref['name'] !== 'string') return undefined;
  return { kind: String(ref['kind']), name: ref['name'] };
}

function ruleAllows(rule: Rule, a: RequestAttributes): boolean {
  const has = (list: string[], value: string) => list.includes('*') || list.includes(value);
  if (!has(rule.verbs, a.verb) || !has(rule.apiGroups, a.apiGroup)) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resourceOk = rule.resources.some((r) => r === '*' || r === combined || (a.subresource !== undefined && r === `*/${a.subresource}`));
  if (!resourceOk) return false;
  if (rule.resourceNames.length === 0) return true;
  return a.name !== undefined && a.name !== '' && rule.resourceNames.includes(a.name);
}

/** The rules that apply to `user` in `namespace` (or cluster-wide when undefined). */
export function applicableRules(objects: RbacObjects, user: UserInfo, namespace: string | undefined): Rule[] {
  const clusterRole = (name: string) => objects.clusterRoles().find((r) => r.metadata.name === name);
  const rules: Rule[] = [];
  for (const binding of objects.clusterRoleBindings()) {
    const ref = roleRef(binding);
    if (ref?.kind === 'ClusterRole' && binds(binding, user)) rules.push(...rulesOf(clusterRole(ref.name)));
  }
  if (namespace) {
    for (const binding of objects.roleBindings(namespace)) {
      const ref = roleRef(binding);
      if (!ref || !binds(binding, user)) continue;
      if (ref.kind === 'Role') rules.push(...rulesOf(objects.roles(namespace).find((r) => r.metadata.name === ref.name)));
      else if (ref.kind === 'ClusterRole') rules.push(...rulesOf(clusterRole(ref.name)));
    }
  }
  return rules;
}

/** True when some bound rule allows the request. */
export function authorize(objects: RbacObjects, user: UserInfo, a: RequestAttributes): boolean {
  return applicableRules(objects, user, a.namespace).some((rule) => ruleAllows(rule, a));
}

/** The real API server's 403, word for word. */
export function forbidden(user: UserInfo, a: RequestAttributes): KubeApiError {
  const qualified = a.apiGroup === '' ? a.resource : `${a.resource}.${a.apiGroup}`;
  const subject = a.name ? `${qualified} "${a.name}"` : qualified;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  const message = `${subject} is forbidden: User "${user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${scope}`;
  const target: { name?: string; group?: string; kind: string } = { kind: a.resource };
  if (a.name) target.name = a.name;
  if (a.apiGroup !== '') target.group = a.apiGroup;
  return new KubeApiError(403, 'Forbidden', message, target);
}
