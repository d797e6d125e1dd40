import { badRequest } from './errors.js';
import { itemKeyString, listKind } from './list-keys.js';
import { clone, isObject, type JsonObject } from './types.js';

/** RFC 7386 JSON merge patch. */
export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = jsonMergePatch(out[key], value);
  }
  return out;
}

/** RFC 6902 JSON patch (add, remove, replace, test, move, copy). */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw badRequest('json patch must be an array of operations');
  let doc = clone(target);
  const parse = (pointer: unknown): string[] => {
    if (typeof pointer !== 'string' || (pointer !== '' && !pointer.startsWith('/'))) {
      throw badRequest(`invalid JSON pointer: ${String(pointer)}`);
    }
    return pointer === '' ? [] : pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  };
  const parentOf = (parts: string[]): { parent: unknown; last: string } => {
    let cur: unknown = doc;
    for (const p of parts.slice(0, -1)) {
      cur = Array.isArray(cur) ? cur[Number(p)] : isObject(cur) ? cur[p] : undefined;
      if (cur === undefined) throw badRequest(`json patch: path not found: /${parts.join('/')}`);
    }
    return { parent: cur, last: parts[parts.length - 1] ?? '' };
  };
  const get = (parts: string[]): unknown => {
    let cur: unknown = doc;
    for (const p of parts) cur = Array.isArray(cur) ? cur[Number(p)] : isObject(cur) ? cur[p] : undefined;
    return cur;
  };
  const remove = (parts: string[]): unknown => {
    const { parent, last } = parentOf(parts);
    if (Array.isArray(parent)) return parent.splice(Number(last), 1)[0];
    if (isObject(parent) && last in parent) {
      const v = parent[last];
      delete parent[last];
      return v;
    }
    throw badRequest(`json patch: unable to remove nonexistent key: ${last}`);
  };
  const add = (parts: string[], value: unknown): void => {
    if (parts.length === 0) {
      doc = value;
      return;
    }
    const { parent, last } = parentOf(parts);
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > parent.length) throw badRequest(`json patch: bad index ${last}`);
      parent.splice(index, 0, value);
    } else if (isObject(parent)) parent[last] = value;
    else throw badRequest('json patch: parent is not a container');
  };
  for (const op of operations) {
    if (!isObject(op)) throw badRequest('json patch operation must be an object');
    const path = parse(op.path);
    switch (op.op) {
      case 'add':
        add(path, clone(op.value));
        break;
      case 'remove':
        remove(path);
        break;
      case 'replace':
        remove(path);
        add(path, clone(op.value));
        break;
      case 'move':
        add(path, remove(parse(op.from)));
        break;
      case 'copy':
        add(path, clone(get(parse(op.from))));
        break;
      case 'test':
        if (JSON.stringify(get(path)) !== JSON.stringify(op.value)) throw badRequest('json patch: test operation failed');
        break;
      default:
        throw badRequest(`json patch: unknown operation ${String(op.op)}`);
    }
  }
  return doc;
}

/**
 * Strategic merge patch for the cases kubectl sends: maps merge recursively, `null`
 * deletes, lists with a merge key merge by key (`$patch: delete` removes an item,
 * `$patch: replace` replaces), `$deleteFromPrimitiveList/<field>` removes set
 * members, and `$setElementOrder/<field>` orders a merged list.
 */
export function strategicMergePatch(target: unknown, patch: unknown, path: string[] = []): unknown {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const rest = { ...patch };
    delete rest.$patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  const orders = new Map<string, unknown[]>();
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$retainKeys' || key === '$patch') continue;
    if (key.startsWith('$setElementOrder/')) {
      if (Array.isArray(value)) orders.set(key.slice('$setElementOrder/'.length), value);
      continue;
    }
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = out[field];
      if (Array.isArray(current) && Array.isArray(value)) out[field] = current.filter((v) => !value.includes(v));
      continue;
    }
    if (value === null) {
      delete out[key];
      continue;
    }
    if (Array.isArray(value)) {
      out[key] = mergeList(out[key], value, path, key);
      continue;
    }
    const merged = strategicMergePatch(out[key], value, [...path, key]);
    if (merged === undefined) delete out[key];
    else out[key] = merged;
  }
  for (const [field, order] of orders) {
    const kind = listKind(path, field);
    const list = out[field];
    if (kind.type !== 'map' || !Array.isArray(list)) continue;
    const rank = new Map(order.map((item, i) => [itemKeyString(item, kind.keys), i]));
    out[field] = [...list].sort(
      (a, b) => (rank.get(itemKeyString(a, kind.keys)) ?? order.length) - (rank.get(itemKeyString(b, kind.keys)) ?? order.length),
    );
  }
  return out;
}

function mergeList(current: unknown, patch: unknown[], path: string[], field: string): unknown[] {
  const kind = listKind(path, field);
  if (patch.some((item) => isObject(item) && item.$patch === 'replace')) {
    return clone(patch.filter((item) => !(isObject(item) && item.$patch === 'replace')));
  }
  if (kind.type === 'set') {
    const base = Array.isArray(current) ? [...current] : [];
    for (const item of patch) if (!base.includes(item)) base.push(item);
    return base;
  }
  if (kind.type !== 'map' || !Array.isArray(current)) {
    return clone(patch.filter((item) => !(isObject(item) && item.$patch === 'delete')));
  }
  const result = [...current];
  for (const item of patch) {
    const key = itemKeyString(item, kind.keys);
    const index = result.findIndex((existing) => itemKeyString(existing, kind.keys) === key);
    if (isObject(item) && item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) result[index] = strategicMergePatch(result[index], item, [...path, field]);
    else result.push(strategicMergePatch(undefined, item, [...path, field]));
  }
  return result;
}
