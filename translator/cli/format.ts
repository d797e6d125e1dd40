/** Rendering of diagnostics and objects for the terminal and for machines. */
import { stringify } from 'yaml';
import type { Diagnostic } from '../manifest/index.js';
import type { KubeObject } from '../translate/index.js';

/** One line: `error 400 /modulesContent/$edgeAgent/properties.desired/modules/web.server: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.severity} ${d.code} ${d.pointer || '/'}: ${d.message}`;
}

/** Multi-document YAML, one document per object, in the order given. */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}

/** A `v1` `List`, as `kubectl get -o json` prints several objects. */
export function toJsonList(objects: readonly KubeObject[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: objects }, null, 2) + '\n';
}
