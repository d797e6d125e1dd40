/**
 * createOptions reassembly. A module's Docker create options are a JSON string, split by IoT
 * Edge tools into 512-character chunks under `createOptions`, `createOptions01`, ...
 * `createOptions99` (keys compared case-insensitively, contiguous, at most 100 chunks). We join
 * them, parse the JSON and point any error at the exact chunk key that holds it. In deployment
 * templates `createOptions` may be an object instead of a string.
 */
import { error, joinPointer, warning, type Diagnostic } from './diagnostics.js';
import { describeSyntaxError, lineColumn } from './json-text.js';
import { MAX_DEPTH, parseLenientJson, type LenientResult } from './lenient-json.js';
import { article, isObject, showValue, tooDeepAt, type JsonObject } from './json-values.js';
import type { CreateOptions } from './model.js';
import { sortBy } from '../shared/index.js';

/** Size of every chunk but the last, as IoT Edge tools split createOptions. */
export const CHUNK_SIZE = 512;
/** `createOptions` plus `createOptions01` ... `createOptions99`. */
export const MAX_CHUNKS = 100;

export interface CreateOptionsResult {
  /** The parsed options; undefined when there were errors. */
  options?: CreateOptions;
  /** Pointer to the (first) createOptions key, `.../settings/createOptions` when absent. */
  pointer: string;
  /** Read-only: the usual result without diagnostics shares an empty list. */
  diagnostics: readonly Diagnostic[];
  /** Length of the text the options were parsed from; absent when they were an object. */
  textLength?: number;
}

interface Chunk {
  index: number;
  key: string;
  value: unknown;
  pointer: string;
}

const CHUNK_KEY = /^createoptions(\d*)$/i;
/** Length of `createOptions`: a shorter key is not a chunk. */
const CHUNK_PREFIX_LENGTH = 'createOptions'.length;

/** The conventional name of chunk `index`: `createOptions`, `createOptions01`, ... */
export function chunkKey(index: number): string {
  return index === 0 ? 'createOptions' : `createOptions${String(index).padStart(2, '0')}`;
}

function collectChunks(settings: JsonObject, settingsPointer: string, diagnostics: Diagnostic[]): Chunk[] {
  // In the order found; a handful at most (100), so a repeated index is found by a scan.
  const chunks: Chunk[] = [];
  for (const key of Object.keys(settings)) {
    // Most settings keys (`image`) are not chunks: skip the regular expression for them.
    if (key.length < CHUNK_PREFIX_LENGTH || (key.charCodeAt(0) | 0x20) !== 0x63) continue;
    // The usual single chunk, spelled as IoT Edge tools write it, without the regular expression.
    const m = key === 'createOptions' ? undefined : CHUNK_KEY.exec(key);
    if (m === null) continue;
    const pointer = joinPointer(settingsPointer, key);
    const suffix = m === undefined ? '' : m[1]!;
    let index: number;
    if (suffix === '') index = 0;
    else if (/^\d\d$/.test(suffix) && suffix !== '00') index = Number(suffix);
    else if (Number(suffix) >= MAX_CHUNKS) {
      diagnostics.push(error(pointer, `createOptions has too many chunks: ${showValue(key)} is beyond the limit of ${MAX_CHUNKS} chunks (createOptions, createOptions01 ... createOptions99)`, 'create-options-chunks'));
      continue;
    } else {
      diagnostics.push(error(pointer, `${showValue(key)} is not a valid createOptions chunk key: after 'createOptions' the chunks are numbered with two digits, 'createOptions01' to 'createOptions99'`, 'create-options-chunks'));
      continue;
    }
    const seen = chunks.find((c) => c.index === index);
    if (seen !== undefined) {
      diagnostics.push(error(pointer, `${showValue(key)} duplicates ${showValue(seen.key)} (createOptions chunk keys are case-insensitive)`, 'create-options-chunks'));
      continue;
    }
    chunks.push({ index, key, value: settings[key], pointer });
  }
  return chunks.length < 2 ? chunks : sortBy(chunks, byIndex);
}

const byIndex = (a: Chunk, b: Chunk): number => a.index - b.index;

/** No diagnostics: shared by the results of the usual createOptions (read-only). */
const NONE: readonly Diagnostic[] = Object.freeze([]);

/**
 * True when the only key of `settings` that may be a chunk is `createOptions`, spelled as IoT
 * Edge tools write it (the usual `{image, createOptions}`): no other key is at least as long and
 * starts with `c` or `C`, so {@link collectChunks} would find that one chunk alone.
 */
function onlyCreateOptions(settings: JsonObject): boolean {
  let found = false;
  for (const key in settings) {
    if (key === 'createOptions') found = Object.hasOwn(settings, key);
    else if (key.length >= CHUNK_PREFIX_LENGTH && (key.charCodeAt(0) | 0x20) === 0x63) return false;
  }
  return found;
}

/** Reassembles and parses a module's createOptions from its `settings` object. */
export function assembleCreateOptions(settings: JsonObject, settingsPointer: string, allowObject: boolean): CreateOptionsResult {
  // The usual case, one `createOptions` string of strict JSON: read without the chunk records.
  if (onlyCreateOptions(settings)) {
    const text = settings['createOptions'];
    if (typeof text === 'string') {
      const pointer = `${settingsPointer}/createOptions`;
      const trimmed = text.trim();
      if (trimmed === '' || trimmed === 'null') return { options: {}, pointer, diagnostics: NONE, textLength: text.length };
      const parsed = parseLenientJson(text);
      if (parsed.ok && parsed.leniencies.length === 0 && parsed.duplicates.length === 0 && isObject(parsed.value))
        return { options: parsed.value, pointer, diagnostics: NONE, textLength: text.length };
      return readParsed(parsed, [text], [{ index: 0, key: 'createOptions', value: text, pointer }], pointer, []);
    }
  }
  const diagnostics: Diagnostic[] = [];
  const chunks = collectChunks(settings, settingsPointer, diagnostics);
  const first = chunks[0];
  const pointer = first?.index === 0 ? first.pointer : joinPointer(settingsPointer, 'createOptions');
  if (diagnostics.length > 0) return { pointer, diagnostics };
  if (first === undefined) return { options: {}, pointer, diagnostics };

  if (first.index === 0 && isObject(first.value) && chunks.length === 1) {
    if (allowObject) {
      const deep = tooDeepAt(first.value, MAX_DEPTH);
      if (deep === undefined) return { options: first.value, pointer, diagnostics };
      diagnostics.push(error(pointer + deep, `createOptions is nested too deep: more than ${MAX_DEPTH} levels, the most edgeAgent's JSON reader accepts`, 'create-options-json'));
      return { pointer, diagnostics };
    }
    diagnostics.push(error(pointer, 'createOptions must be a JSON string; an object is accepted only in a deployment template (*.template.json)', 'create-options-type'));
    return { pointer, diagnostics };
  }
  for (const c of chunks) {
    if (typeof c.value !== 'string') {
      const what = allowObject && c.index === 0 && !Array.isArray(c.value) ? 'a string (or, alone, an object)' : 'a string holding a JSON object';
      diagnostics.push(error(c.pointer, `'${c.key}' must be ${what}, not ${article(c.value)}`, 'create-options-type'));
    }
  }
  const last = chunks[chunks.length - 1]!;
  for (let i = 0; i <= last.index; i++) {
    if (!chunks.some((c) => c.index === i)) {
      diagnostics.push(error(joinPointer(settingsPointer, chunkKey(i)), `createOptions chunk '${chunkKey(i)}' is missing: chunks must be contiguous from 'createOptions' up to '${last.key}'`, 'create-options-chunks'));
    }
  }
  if (diagnostics.length > 0) return { pointer, diagnostics };

  const texts = chunks.map((c) => c.value as string);
  for (let i = 0; i < chunks.length - 1; i++) {
    const c = chunks[i]!;
    if (texts[i]!.length !== CHUNK_SIZE) {
      diagnostics.push(warning(c.pointer, `createOptions chunk '${c.key}' has ${texts[i]!.length} characters; every chunk but the last is expected to have ${CHUNK_SIZE}`, 'create-options-chunk-size'));
    }
  }
  const text = texts.length === 1 ? texts[0]! : texts.join('');
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'null') return { options: {}, pointer, diagnostics, textLength: text.length };

  // As edgeAgent reads them (Newtonsoft.Json): see lenient-json.ts.
  return readParsed(parseLenientJson(text), texts, chunks, pointer, diagnostics);
}

/** The result of the parsed createOptions `texts` of `chunks`, with a diagnostic for each leniency, repeated key or error. */
function readParsed(parsed: LenientResult, texts: readonly string[], chunks: readonly Chunk[], pointer: string, diagnostics: Diagnostic[]): CreateOptionsResult {
  let textLength = 0;
  for (const t of texts) textLength += t.length;
  // Strict JSON of an object, the usual case: nothing to report.
  if (parsed.ok && parsed.leniencies.length === 0 && parsed.duplicates.length === 0 && isObject(parsed.value)) return { options: parsed.value, pointer, diagnostics, textLength };
  const where = (offset: number): { c: Chunk; at: string } => {
    const { chunk, local } = chunkAt(texts, offset);
    const { line, column } = lineColumn(texts[chunk]!, local);
    return { c: chunks[chunk]!, at: `line ${line}, column ${column}${chunks.length > 1 ? ` of chunk '${chunks[chunk]!.key}'` : ''}` };
  };
  if (!parsed.ok) {
    const { c } = where(parsed.error.offset);
    const { chunk, local } = chunkAt(texts, parsed.error.offset);
    const detail = describeSyntaxError({ ...parsed.error, ...lineColumn(texts[chunk]!, local) });
    const of = chunks.length > 1 ? ` of chunk '${c.key}'` : '';
    diagnostics.push(error(c.pointer, `createOptions is not valid JSON: ${detail}${of}`, 'create-options-json'));
    return { pointer, diagnostics };
  }
  // One warning per kind of leniency, at its first use.
  const kinds = new Map<string, number>();
  for (const l of parsed.leniencies) if (!kinds.has(l.what)) kinds.set(l.what, l.offset);
  for (const [what, offset] of kinds) {
    const { c, at } = where(offset);
    diagnostics.push(
      warning(c.pointer, `createOptions is not strict JSON: ${what} at ${at}; edgeAgent's reader (Newtonsoft.Json) accepts it and so does this tool, but other tools may not`, 'create-options-lenient'),
    );
  }
  for (const d of parsed.duplicates)
    diagnostics.push(warning(pointer + d.pointer, `createOptions has the key '${d.key}' more than once here; the last one is used, as edgeAgent reads it`, 'create-options-duplicate-key'));
  if (!isObject(parsed.value)) {
    diagnostics.push(error(pointer, `createOptions must be a JSON object, not ${article(parsed.value)}`, 'create-options-type'));
    return { pointer, diagnostics };
  }
  return { options: parsed.value, pointer, diagnostics, textLength };
}

/** Which chunk holds character `offset` of the joined text (the end of input is in the last). */
function chunkAt(texts: readonly string[], offset: number): { chunk: number; local: number } {
  let start = 0;
  for (let i = 0; i < texts.length; i++) {
    const len = texts[i]!.length;
    if (offset < start + len || i === texts.length - 1) return { chunk: i, local: offset - start };
    start += len;
  }
  return { chunk: 0, local: offset };
}
