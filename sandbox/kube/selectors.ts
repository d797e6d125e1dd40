import { badRequest } from './errors.js';
import { isObject, type KubeObject } from './types.js';

/** One parsed label selector requirement. */
export interface LabelRequirement {
  key: string;
  operator: 'in' | 'notin' | 'exists' | '!exists' | '=' | '!=';
  values: string[];
}

/** One parsed field selector requirement (`=`, `==` or `!=`). */
export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const SET_RE = /^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/;
const EQ_RE = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/;
const EXISTS_RE = /^(!?)([^\s!=()]+)$/;

/** Parses a labelSelector query value (`a=b,c!=d,e in (f,g),!h`); throws 400 on bad syntax. */
export function parseLabelSelector(text: string): LabelRequirement[] {
  return splitTopLevel(text).map((part) => {
    const set = SET_RE.exec(part);
    if (set) {
      const values = (set[3] ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      return { key: set[1]!, operator: set[2] as 'in' | 'notin', values };
    }
    const eq = EQ_RE.exec(part);
    if (eq) return { key: eq[1]!, operator: eq[2] === '!=' ? '!=' : '=', values: [eq[3]!] };
    const ex = EXISTS_RE.exec(part);
    if (ex) return { key: ex[2]!, operator: ex[1] === '!' ? '!exists' : 'exists', values: [] };
    throw badRequest(`unable to parse requirement: invalid label selector: "${part}"`);
  });
}

/** True when the labels satisfy every requirement. */
export function matchLabels(requirements: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const value = l[r.key];
    switch (r.operator) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case '=':
      case 'in':
        return has && r.values.includes(value!);
      case '!=':
      case 'notin':
        return !has || !r.values.includes(value!);
    }
  });
}

/** A metav1.LabelSelector (matchLabels + matchExpressions) as requirements. */
export function labelSelectorRequirements(selector: unknown): LabelRequirement[] {
  if (!isObject(selector)) return [];
  const out: LabelRequirement[] = [];
  if (isObject(selector.matchLabels)) {
    for (const [key, value] of Object.entries(selector.matchLabels)) out.push({ key, operator: '=', values: [String(value)] });
  }
  if (Array.isArray(selector.matchExpressions)) {
    for (const expr of selector.matchExpressions) {
      if (!isObject(expr)) continue;
      const op = String(expr.operator);
      const operator = op === 'In' ? 'in' : op === 'NotIn' ? 'notin' : op === 'Exists' ? 'exists' : '!exists';
      const values = Array.isArray(expr.values) ? expr.values.map(String) : [];
      out.push({ key: String(expr.key), operator, values });
    }
  }
  return out;
}

/** Parses a fieldSelector query value; throws 400 on bad syntax. */
export function parseFieldSelector(text: string): FieldRequirement[] {
  return splitTopLevel(text).map((part) => {
    const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    return { field: m[1]!.trim(), operator: m[2] === '!=' ? '!=' : '=', value: m[3]!.trim() };
  });
}

/** Fields each kind supports in field selectors, besides metadata.name and metadata.namespace. */
const FIELD_LABELS: Record<string, string[]> = {
  Pod: ['status.phase', 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.podIP', 'status.nominatedNodeName'],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Namespace: ['status.phase'],
  Secret: ['type'],
  Job: ['status.successful'],
  Node: ['spec.unschedulable'],
  ReplicaSet: ['status.replicas'],
};

/** Throws 400 when a field is not supported for the kind, as the real server does. */
export function checkFieldSelector(kind: string, requirements: FieldRequirement[]): void {
  for (const r of requirements) {
    if (r.field === 'metadata.name' || r.field === 'metadata.namespace') continue;
    if (!(FIELD_LABELS[kind] ?? []).includes(r.field)) {
      throw badRequest(`field label not supported: ${r.field}`);
    }
  }
}

function fieldValue(obj: KubeObject, field: string): string {
  if (field === 'source' && isObject(obj.source)) return String(obj.source.component ?? '');
  let current: unknown = obj;
  for (const part of field.split('.')) {
    if (!isObject(current)) return '';
    current = current[part];
  }
  return current === undefined || current === null ? '' : String(current);
}

/** True when the object satisfies every field requirement. */
export function matchFields(requirements: FieldRequirement[], obj: KubeObject): boolean {
  return requirements.every((r) => (fieldValue(obj, r.field) === r.value) === (r.operator === '='));
}
