/** Rendering of diagnostics and objects for the terminal and for machines. */
import { Document, parse, visit, Scalar } from 'yaml';
import type { Diagnostic } from '../manifest/index.js';
import type { KubeObject } from '../translate/index.js';

/** One line: `error 400 /modulesContent/$edgeAgent/properties.desired/modules/web.server: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.severity} ${d.code} ${d.pointer || '/'}: ${d.message}`;
}

/** YAML 1.1 booleans and nulls, any case (go-yaml v2, which kubectl uses, reads `Y`, `off`, `NULL`...). */
const WORDS = /^(y|yes|n|no|true|false|on|off|null|~)$/i;
/** Numbers in any notation a YAML 1.1 reader or Go's ParseInt/ParseFloat (base 0) takes: `012`, `0x1F`, `0o7`, `0b1`, `1_000`, `1e3`, `.5`, `1:20`. */
const NUMBER_LIKE = /^[-+]?(\.?[0-9]|0[xXoObB])[0-9a-fA-F_.:xXoObBeEpP+-]*$/;
const SPECIAL_FLOAT = /^[-+]?\.?(inf|infinity|nan)$/i;
const TIMESTAMP = /^\d{4}-\d{1,2}-\d{1,2}([Tt \t]|$)/;

/**
 * True when a YAML 1.1 reader (kubectl's) or a YAML 1.2 reader could take the plain scalar `text`
 * for anything but this string. Conservative: it may quote a string that did not need it, never
 * the other way round.
 */
export function isAmbiguousPlainScalar(text: string): boolean {
  if (text === '' || WORDS.test(text) || SPECIAL_FLOAT.test(text) || NUMBER_LIKE.test(text) || TIMESTAMP.test(text)) return true;
  for (const version of ['1.1', '1.2'] as const) {
    try {
      // logLevel 'error': a string such as `!tag` is ambiguous, not worth a process warning on stderr.
      if (parse(text, { version, logLevel: 'error' }) !== text) return true;
    } catch {
      return true;
    }
  }
  return false;
}

/**
 * Multi-document YAML, one document per object, in the order given. Every string that a YAML 1.1
 * reader would take for a boolean, number, null or timestamp (keys too) is double-quoted, so
 * `translate | kubectl apply -f -` reads back exactly these objects.
 */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects
    .map((o) => {
      const doc = new Document(o, { aliasDuplicateObjects: false });
      visit(doc, {
        Scalar(_key, node: Scalar) {
          if (typeof node.value === 'string' && isAmbiguousPlainScalar(node.value)) node.type = Scalar.QUOTE_DOUBLE;
        },
      });
      return doc.toString({ lineWidth: 0 });
    })
    .join('---\n');
}

/** A `v1` `List`, as `kubectl get -o json` prints several objects. */
export function toJsonList(objects: readonly KubeObject[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: objects }, null, 2) + '\n';
}
