/**
 * Deployment template placeholders, as IoT Edge solution tools (iotedgedev, the VS Code
 * extension, the Azure DevOps IoT Edge task) write them:
 *
 * - `${VAR}` and `$VAR`, where VAR is the whole `[A-Za-z0-9_]+` run after the `$` in any case
 *   (`$CONTAINER_REGISTRY_USERNAME_myacr`, `$acr_address`), as those tools match it: from the
 *   environment (and a `.env` file, loaded by the caller).
 * - IoT Edge's own `$` words are never variables: `$edgeAgent`, `$edgeHub`, `$upstream`,
 *   `$schema` (of `$schema-template`), and in the `$edgeHub` desired properties (routes) any
 *   `$name` that is not all upper case (message properties such as `$body`,
 *   `$connectionDeviceId`); the tools leave them alone when no variable of that name is set.
 * - `${MODULES.name}` / `${MODULES.name.platform}`: the image built from `modules/<name>/module.json`
 *   (resolved by the caller into `moduleImages`; see module-json.ts).
 *
 * Placeholders are replaced in string values and in keys (templates use them for registry
 * credential names). An unset variable is an error that names the placeholder and its pointer
 * (the tools would leave the text as it is, and the device would get it literally). Pure: no I/O.
 */
import { error, joinPointer, type Diagnostic } from './diagnostics.js';
import { isObject, type JsonObject } from './json-values.js';
import { PointerMap } from './pointer-map.js';

/** `${...}` (group 1) or `$NAME` of any case (group 2). */
export const PLACEHOLDER = /\$\{([^}]*)\}|\$([A-Za-z0-9_]+)/g;
/** IoT Edge's own `$` words: never template variables. */
export const IOT_EDGE_WORDS: ReadonlySet<string> = new Set(['edgeAgent', 'edgeHub', 'upstream', 'schema']);
const UPPER_NAME = /^[A-Z0-9_]+$/;
/** Where `$edgeHub` desired properties start; routes there use `$name` for message properties. */
const EDGE_HUB_POINTER = /^\/(content\/)?modulesContent\/\$edgeHub(\/|$)/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Keys and variable names whose values are treated as secrets (never shown in messages). */
const SECRET_NAME = /pass|secret|token|key|sas|connection|credential|pwd/i;

/** A module image placeholder's outcome: the image, or why it cannot be built. */
export type ModuleImage = { image: string } | { problem: string };

export interface TemplateInputs {
  env: Readonly<Record<string, string | undefined>>;
  /** Resolves `MODULES.name[.platform]` (the text inside `${}`). */
  moduleImage: (name: string, platform: string | undefined) => ModuleImage;
  /** Where variables come from, for messages. @default 'the environment or .env' */
  envSource?: string;
}

export interface TemplateResult {
  value: unknown;
  diagnostics: Diagnostic[];
  /** Pointers of unresolved placeholders. */
  unresolved: Set<string>;
  /** Resolved document pointers -> template pointers, for keys a placeholder renamed. */
  renames: PointerMap;
  /** Strings that resolution produced, mapped to their template text (shown instead). */
  substituted: Map<string, string>;
  /** Values of variables that are secrets; they are redacted from every message. */
  secrets: Set<string>;
}

/** The placeholders in a string, e.g. `['MODULES.web', 'ACR_USER']`; IoT Edge's own `$` words are not placeholders. */
export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? m[2]!).filter((name) => !IOT_EDGE_WORDS.has(name));
}

/**
 * Whether a bare `$name` at `pointer` is a variable: IoT Edge's own words never are; in the
 * `$edgeHub` desired properties only an all-upper-case name is, unless `name` is set.
 */
function isBareVariable(name: string, pointer: string, env: TemplateInputs['env']): boolean {
  if (IOT_EDGE_WORDS.has(name)) return false;
  if (EDGE_HUB_POINTER.test(pointer) && !UPPER_NAME.test(name)) return env[name] !== undefined;
  return true;
}

/**
 * True when any string (value or key) in `doc` has a placeholder. Iterative. `marker` is text
 * every placeholder `test` accepts must contain (`${MODULES.` for module placeholders): strings
 * without it are not parsed.
 */
export function hasPlaceholders(doc: unknown, test: (name: string) => boolean = () => true, marker = '$'): boolean {
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes(marker) && placeholdersIn(v).some(test)) return true;
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (isObject(v)) {
      for (const k in v) {
        if (k.includes(marker) && placeholdersIn(k).some(test)) return true;
        stack.push(v[k]);
      }
    }
  }
  return false;
}

/** Splits `MODULES.name.platform` into name and platform (the platform may hold dots: `amd64.debug`). */
export function parseModulePlaceholder(inner: string): { name: string; platform?: string } | undefined {
  if (!inner.startsWith('MODULES.')) return undefined;
  const rest = inner.slice('MODULES.'.length);
  const dot = rest.indexOf('.');
  if (rest === '' || dot === 0) return undefined;
  return dot === -1 ? { name: rest } : { name: rest.slice(0, dot), platform: rest.slice(dot + 1) };
}

interface Task {
  value: unknown;
  /** Pointer in the template. */
  source: string;
  /** Pointer in the resolved document. */
  target: string;
  /** The key this value sits under (for secret detection). */
  key: string;
  set: (v: unknown) => void;
}

/** Replaces every placeholder in `doc`. Never throws; iterative, so depth is not a problem. */
export function resolveTemplate(doc: unknown, inputs: TemplateInputs): TemplateResult {
  const result: TemplateResult = {
    value: undefined,
    diagnostics: [],
    unresolved: new Set(),
    renames: new PointerMap(),
    substituted: new Map(),
    secrets: new Set(),
  };
  const substitute = (text: string, pointer: string, key: string): string => {
    if (!text.includes('$')) return text;
    let changed = false;
    const out = text.replace(PLACEHOLDER, (whole, braced: string | undefined, bare: string | undefined) => {
      if (bare !== undefined && !isBareVariable(bare, pointer, inputs.env)) return whole;
      const inner = braced ?? bare!;
      const value = resolveOne(inner, inputs);
      if ('problem' in value) {
        result.unresolved.add(pointer);
        const shown = whole.length > 80 ? `${whole.slice(0, 78)}…}` : whole;
        result.diagnostics.push(error(pointer, `unresolved placeholder ${shown}: ${value.problem}`, 'template-placeholder'));
        return whole;
      }
      changed = true;
      if (ENV_NAME.test(inner) && (SECRET_NAME.test(inner) || SECRET_NAME.test(key)) && value.value !== '') result.secrets.add(value.value);
      return value.value;
    });
    if (changed) result.substituted.set(out, text);
    return out;
  };

  const stack: Task[] = [{ value: doc, source: '', target: '', key: '', set: (v) => (result.value = v) }];
  while (stack.length > 0) {
    const task = stack.pop()!;
    const { value } = task;
    if (typeof value === 'string') {
      task.set(substitute(value, task.source, task.key));
    } else if (Array.isArray(value)) {
      const arr: unknown[] = new Array<unknown>(value.length);
      task.set(arr);
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], source: joinPointer(task.source, i), target: joinPointer(task.target, i), key: task.key, set: (v) => (arr[i] = v) });
      }
    } else if (isObject(value)) {
      const obj: JsonObject = {};
      task.set(obj);
      const children: Task[] = [];
      for (const [k, child] of Object.entries(value)) {
        const source = joinPointer(task.source, k);
        const newKey = substitute(k, source, k);
        const target = joinPointer(task.target, newKey);
        if (newKey !== k) result.renames.add(target, source);
        obj[newKey] = undefined;
        children.push({ value: child, source, target, key: newKey, set: (v) => (obj[newKey] = v) });
      }
      stack.push(...children.reverse());
    } else {
      task.set(value);
    }
  }
  return result;
}

function resolveOne(inner: string, inputs: TemplateInputs): { value: string } | { problem: string } {
  const module = parseModulePlaceholder(inner);
  if (module !== undefined) {
    const image = inputs.moduleImage(module.name, module.platform);
    return 'image' in image ? { value: image.image } : { problem: image.problem };
  }
  if (!ENV_NAME.test(inner)) return { problem: 'not a supported placeholder (use ${VARIABLE} or ${MODULES.name[.platform]})' };
  const value = inputs.env[inner];
  return value === undefined ? { problem: `${inner} is not set in ${inputs.envSource ?? 'the environment or .env'}` } : { value };
}
