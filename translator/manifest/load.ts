/**
 * Intake from files: reads a manifest (and any layer files), resolves deployment template
 * placeholders, merges layers, then runs the same pipeline as `parseManifest`. Diagnostics point
 * into the file the value came from: the base file, or a layer file (named in the message), and
 * through keys a placeholder renamed back to the template's own key.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { error, hasErrors, ManifestLoadError, type Diagnostic } from './diagnostics.js';
import { detectForm, type ManifestParts } from './forms.js';
import { describeSyntaxError, parseJsonText } from './json-text.js';
import { isObject, showValue, tooDeepAt, type DepthExemption } from './json-values.js';
import { inLayer, mergeLayers, readLayer } from './layers.js';
import type { DeploymentModel } from './model.js';
import { moduleImage, readModuleJson, type ModuleJson } from './module-json.js';
import { parseParts, type ParseOutcome } from './parse.js';
import { PointerMap } from './pointer-map.js';
import { deploymentContent, type DeploymentContent } from './content.js';
import { hasPlaceholders, parseModulePlaceholder, placeholdersIn, resolveTemplate } from './template.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A file read, parsed and (for templates) resolved. */
interface ReadDocument {
  doc?: unknown;
  template: boolean;
  diagnostics: Diagnostic[];
  unresolved: Set<string>;
  renames: PointerMap;
  substituted: Map<string, string>;
  secrets: Set<string>;
  /** The parts of `doc`, when the depth walk needed them. */
  parts?: ManifestParts;
  /**
   * Set when the depth walk left the user modules to schema validation (see
   * {@link depthExemption}): the document's name in messages.
   */
  modulesLeftToValidation?: string;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'read error';
    throw new ManifestLoadError(`cannot read ${path} (${code})`, path);
  }
}

/** `.env` beside the template; absent is fine, unreadable is a load error. */
async function readDotenv(dir: string): Promise<Record<string, string>> {
  const path = join(dir, '.env');
  try {
    return parseDotenv(await readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ManifestLoadError(`cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'read error'})`, path);
  }
}

/** What every `${MODULES.x}` placeholder starts with. */
const MODULES_MARKER = '${MODULES.';

/**
 * True when `text` may spell a character of `${MODULES.` with an escape. Those characters are
 * ASCII, which JSON escapes as `\u00XX` (a lowercase `u`; JSON has no other escape for them), so
 * the text is searched for `u00` and each find checked for the backslash before it. Searching
 * for `\u` instead took 35 µs on a 95 KB manifest of 200 modules (about 1% of a translation):
 * their createOptions are JSON in JSON, full of `\"`, and every backslash was a candidate. A
 * `u00` after an escaped backslash (`\\u00`) is a false find, which only costs the search of the
 * strings below.
 */
function mayEscapeAscii(text: string): boolean {
  for (let i = text.indexOf('u00'); i !== -1; i = text.indexOf('u00', i + 3)) if (text.charCodeAt(i - 1) === 0x5c) return true;
  return false;
}

/**
 * True for a deployment template: by file name, by `$schema-template`, or by `${MODULES.x}` use.
 * `text`, the JSON text `doc` was parsed from, when there is one: a text without `${MODULES.`
 * and without an escape of one of its characters (the only way a string of the document can
 * hold characters its text does not spell) has no such use, so its strings are not searched.
 */
export function isTemplate(path: string, doc: unknown, text?: string): boolean {
  return (
    /\.template\.json$/i.test(path) ||
    (isObject(doc) && '$schema-template' in doc) ||
    ((text === undefined || text.includes(MODULES_MARKER) || mayEscapeAscii(text)) &&
      // `${MODULES.x}` is the only form parseModulePlaceholder accepts (a bare `$NAME` has no dot).
      hasPlaceholders(doc, (name) => parseModulePlaceholder(name) !== undefined, MODULES_MARKER))
  );
}

function moduleNames(doc: unknown): Set<string> {
  const names = new Set<string>();
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      for (const p of placeholdersIn(v)) {
        const m = parseModulePlaceholder(p);
        if (m !== undefined) names.add(m.name);
      }
    } else if (Array.isArray(v)) stack.push(...v);
    else if (isObject(v)) stack.push(...Object.values(v));
  }
  return names;
}

/**
 * A manifest to load: a file, or a document already in memory (parsed JSON, or JSON text).
 * `path` of an in-memory document names it in messages, and its folder holds a template's
 * `.env` and `modules/` (default: the working directory).
 */
export type ManifestSource = { file: string } | { document: unknown; path?: string };

async function sourceText(source: ManifestSource): Promise<{ text?: string; value?: unknown; path: string; name: string }> {
  if ('file' in source) return { text: await readText(source.file), path: source.file, name: basename(source.file) };
  const path = source.path ?? join(process.cwd(), 'manifest.json');
  const name = source.path === undefined ? 'the manifest' : basename(source.path);
  return typeof source.document === 'string' ? { text: source.document, path, name } : { value: source.document, path, name };
}

/** `text` without a leading byte order mark (a regular expression replace took 0.9 µs on a text of 95 KB). */
function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Deepest nesting accepted in a manifest file: the deployment's own levels plus edgeAgent's 64 for createOptions objects. */
export const MAX_DOCUMENT_DEPTH = 100;

function tooDeep(name: string, pointer: string): Diagnostic {
  return error(pointer, `${name} is nested too deep: more than ${MAX_DOCUMENT_DEPTH} levels of objects and arrays (an IoT Edge deployment needs far fewer)`, 'too-deep');
}

/**
 * Levels of objects below the user modules (`modules` of `$edgeAgent` desired properties) in a
 * document that schema 1.1 accepts: a module, its `env` or `settings`, a variable's object.
 * Schema 1.0 lets a module, its settings and its variables hold keys of their own, of any depth.
 * test/translator/manifest/load.test.ts derives both from the vendored schemas.
 */
export const VALID_MODULES_HEIGHT = 3;
/** `$edgeAgent` schema versions whose valid user modules nest at most {@link VALID_MODULES_HEIGHT} levels. */
export const SCHEMAS_BOUNDING_MODULES: ReadonlySet<string> = new Set(['1.1']);

/**
 * The depth walk may leave the user modules, most of a large document, to schema validation:
 * it needs to go through them only when validation does not bound their depth, and
 * {@link modulesTooDeep} then walks the whole document. Only for a document that is the whole
 * deployment (no layers) and not a template: between the two walks nothing reads more of a
 * module than validation does (normalization skips a module with an error). At 200 modules the
 * walk took 38 µs with the modules and 0.3 µs without.
 */
function depthExemption(parts: ManifestParts): DepthExemption | undefined {
  const modules = isObject(parts.agent?.value) ? parts.agent.value['modules'] : undefined;
  return isObject(modules) ? { value: modules, height: VALID_MODULES_HEIGHT } : undefined;
}

/**
 * When the depth walk left the user modules of `base` to validation and validation did not
 * bound them (it found an error, or the schema does not bound them), the diagnostic of the first
 * value of the document nested too deep, if any: the one the walk of everything gives.
 */
function modulesTooDeep(base: ReadDocument, outcome: ParseOutcome): Diagnostic | undefined {
  if (base.modulesLeftToValidation === undefined) return undefined;
  const version = outcome.model?.schemaVersion;
  if (version !== undefined && SCHEMAS_BOUNDING_MODULES.has(version)) return undefined;
  const deep = tooDeepAt(base.doc, MAX_DOCUMENT_DEPTH);
  return deep === undefined ? undefined : tooDeep(base.modulesLeftToValidation, deep);
}

/** Reads a document; `whole`: it is the deployment's only document (no layers). */
async function readDocument(source: ManifestSource, env: Env, whole = false): Promise<ReadDocument> {
  const result: ReadDocument = { template: false, diagnostics: [], unresolved: new Set(), renames: new PointerMap(), substituted: new Map(), secrets: new Set() };
  const { text, value, path, name } = await sourceText(source);
  const parsed = text === undefined ? ({ ok: true, value } as const) : parseJsonText(withoutByteOrderMark(text));
  if (!parsed.ok) {
    result.diagnostics.push(error('', `${name} is not valid JSON: ${describeSyntaxError(parsed.error)}`, 'json'));
    return result;
  }
  // First, as it decides whether the depth walk may leave the modules: the template test walks
  // iteratively (any depth is safe) and changes nothing.
  result.template = isTemplate(path, parsed.value, text);
  const parts = whole && !result.template ? detectForm(parsed.value) : undefined;
  const exempt = parts === undefined ? undefined : depthExemption(parts);
  const deep = tooDeepAt(parsed.value, MAX_DOCUMENT_DEPTH, exempt);
  if (deep !== undefined) {
    result.diagnostics.push(tooDeep(name, deep));
    return result;
  }
  if (!result.template) {
    result.doc = parsed.value;
    result.parts = parts;
    if (exempt !== undefined) result.modulesLeftToValidation = name;
    return result;
  }
  const dir = dirname(path);
  const dotenv = await readDotenv(dir);
  // As iotedgedev: .env fills in variables the environment does not already set.
  const merged: Record<string, string | undefined> = { ...dotenv };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  const modules = new Map<string, ModuleJson>();
  for (const name of moduleNames(parsed.value)) modules.set(name, await readModuleJson(dir, name, merged));
  const containerTag = merged['CONTAINER_TAG'] ?? '';
  const resolved = resolveTemplate(parsed.value, {
    env: merged,
    moduleImage: (name, platform) => moduleImage(name, modules.get(name), platform, containerTag),
  });
  Object.assign(result, {
    doc: resolved.value,
    diagnostics: resolved.diagnostics,
    unresolved: resolved.unresolved,
    renames: resolved.renames,
    substituted: resolved.substituted,
    secrets: resolved.secrets,
  });
  return result;
}

/** Options for {@link loadManifest}. */
export interface LoadOptions {
  /** Variables for `${VAR}` in templates. @default process.env */
  env?: Record<string, string | undefined>;
  /** Layered deployment files merged onto the base, in ascending priority unless they carry one. */
  layers?: string[];
}

/** Options for {@link loadManifestSources}: layers may be files or in-memory documents. */
export interface SourceOptions {
  /** Variables for `${VAR}` in templates. @default process.env */
  env?: Record<string, string | undefined>;
  /** Layered deployments merged onto the base, in ascending priority unless they carry one. */
  layers?: ManifestSource[];
}

/** A model (present iff there is no error diagnostic) and every diagnostic. */
export interface ManifestResult {
  model?: DeploymentModel;
  diagnostics: Diagnostic[];
  /**
   * With a model from a file: the content to push to IoT Hub, placeholders resolved, layers
   * merged, object createOptions serialized and chunked. Holds registry passwords: never log it.
   * Built when first read (a getter, the same object on every read): translating needs none.
   */
  content?: DeploymentContent;
}

function redact(message: string, secrets: ReadonlySet<string>): string {
  let out = message;
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('***');
  return out;
}

function remapModel(model: DeploymentModel, renames: PointerMap): DeploymentModel {
  if (renames.size === 0) return model;
  const map = (p: string): string => renames.map(p).pointer;
  const mod = <M extends { pointer: string; createOptionsPointer: string }>(m: M): M => ({ ...m, pointer: map(m.pointer), createOptionsPointer: map(m.createOptionsPointer) });
  const out: DeploymentModel = {
    ...model,
    registryCredentials: model.registryCredentials.map((c) => ({ ...c, pointer: map(c.pointer) })),
    edgeAgent: mod(model.edgeAgent),
    modules: model.modules.map(mod),
  };
  if (model.edgeHub !== undefined) out.edgeHub = mod(model.edgeHub);
  return out;
}

/** Loads a manifest file (JSON or deployment template) and any layers. See index.ts. */
export async function loadManifestFile(path: string, options: LoadOptions = {}): Promise<ManifestResult> {
  return loadManifestSources({ file: path }, { env: options.env, layers: (options.layers ?? []).map((file) => ({ file })) });
}

/** A layer's name in messages: its file name, its path when two layers share a file name, else `layer N`. */
function layerLabels(layers: readonly ManifestSource[]): string[] {
  const pathOf = (l: ManifestSource): string | undefined => ('file' in l ? l.file : l.path);
  const paths = layers.map(pathOf);
  return paths.map((p, i) => (p === undefined ? `layer ${i + 1}` : paths.filter((q) => q !== undefined && basename(q) === basename(p)).length > 1 ? p : basename(p)));
}

/** Loads a manifest (file or in-memory document) and any layers. See index.ts. */
export async function loadManifestSources(source: ManifestSource, options: SourceOptions = {}): Promise<ManifestResult> {
  const env: Env = options.env ?? process.env;
  const layerSources = options.layers ?? [];
  const base = await readDocument(source, env, layerSources.length === 0);
  const labels = layerLabels(layerSources);
  const layerDocs = await Promise.all(layerSources.map(async (l, i) => ({ label: labels[i]!, read: await readDocument(l, env) })));
  const diagnostics: Diagnostic[] = [...base.diagnostics];
  for (const { label, read } of layerDocs) diagnostics.push(...read.diagnostics.map((d) => inLayer(d, label)));
  if (base.doc === undefined || layerDocs.some((l) => l.read.doc === undefined)) return { diagnostics };

  const layers = layerDocs.map(({ label, read }) => readLayer(read.doc, label));
  for (const layer of layers) diagnostics.push(...layer.diagnostics);
  const merged = mergeLayers(base.parts ?? detectForm(base.doc), layers);

  const files = new Map([['', base], ...layerDocs.map(({ label, read }) => [label, read] as const)]);
  const substituted = new Map<string, string>();
  const secrets = new Set<string>();
  for (const f of files.values()) {
    for (const [k, v] of f.substituted) substituted.set(k, v);
    for (const s of f.secrets) secrets.add(s);
  }
  const show = (value: unknown): string => (typeof value === 'string' && substituted.has(value) ? showValue(substituted.get(value)) : showValue(value));
  const outcome: ParseOutcome = parseParts(merged.parts, { template: [...files.values()].some((f) => f.template), show });
  const deep = modulesTooDeep(base, outcome);
  if (deep !== undefined) return { diagnostics: [deep] };

  for (const d of outcome.diagnostics) {
    const origin = merged.origins.map(d.pointer);
    const file = files.get(origin.note ?? '')!;
    const pointer = file.renames.map(origin.pointer).pointer;
    // An unresolved placeholder is already reported at this pointer; the schema's view of it is noise.
    if (d.rule === 'schema' && file.unresolved.has(pointer)) continue;
    const located = { ...d, pointer };
    diagnostics.push(origin.note === undefined ? located : inLayer(located, origin.note));
  }
  const clean = diagnostics.map((d) => ({ ...d, message: redact(d.message, secrets) }));
  if (hasErrors(clean) || outcome.model === undefined) return { diagnostics: clean };
  return new LoadedManifest(remapModel(outcome.model, base.renames), clean, merged.parts);
}

/**
 * A valid manifest's result. Its deployment content is built on first read, once: translate()
 * and validate() never read it (only push does). `content` is an own enumerable accessor of each
 * result, and every result shares the same one (the same getter function): a getter written in
 * each result's object literal was an accessor of its own, which V8 keeps in a hidden class made
 * for that one object, in the old generation. Until the next full collection those hidden
 * classes kept every result's closure, and so its whole parsed document, alive through each
 * young-generation collection: at 200 modules a collection copied the documents of every
 * translation since the last full one (about three times the time of collections without them,
 * measured with --trace-gc over 400 translations). A shared accessor gives every result the
 * same hidden class.
 */
class LoadedManifest implements ManifestResult {
  #content: DeploymentContent | undefined;
  readonly #parts: ManifestParts;
  declare readonly content: DeploymentContent;

  static readonly #CONTENT: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: LoadedManifest): DeploymentContent {
      return (this.#content ??= deploymentContent(this.#parts));
    },
  };

  constructor(
    readonly model: DeploymentModel,
    readonly diagnostics: Diagnostic[],
    parts: ManifestParts,
  ) {
    this.#parts = parts;
    Object.defineProperty(this, 'content', LoadedManifest.#CONTENT);
  }
}
