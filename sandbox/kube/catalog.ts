/**
 * What each container image does in the simulated cluster.
 */
import { readFileSync } from 'node:fs';
import { isObject } from './types.js';

/** The behaviour of an image when its container runs. */
export type ImageBehaviour =
  /** Runs until stopped, printing `lines` (cycled) every `logEvery` ms. */
  | { kind: 'run'; logEvery?: number; lines?: string[] }
  /** Exits with `code` after `afterMs` ms (a job-style container). */
  | { kind: 'exit'; code: number; afterMs: number }
  /** Starts, then crashes with `code` after `afterMs` ms, every time it is started. */
  | { kind: 'crash'; code: number; afterMs: number }
  /** The image cannot be pulled (ErrImagePull, then ImagePullBackOff). */
  | { kind: 'pull-fail' }
  /**
   * Runs as a real child process (see docs/sandbox-kube.md, "Process images"): `command` is the
   * image's entrypoint (the container's `command` replaces it, `args` are appended), `cwd` its
   * working directory (relative to the container's root directory when relative; default: the root).
   */
  | ProcessImage;

/** An image run as a real process. */
export interface ProcessImage {
  kind: 'process';
  command: string[];
  /** Image arguments (Docker CMD), replaced by the container's `args`. */
  args?: string[];
  cwd?: string;
  /** Image environment (Docker ENV), overridden by the container's env. */
  env?: Record<string, string>;
  /** Run under Node with the sandbox preload (name resolution, parent watchdog). Set for repository modules. */
  node?: boolean;
}

/** Raised for a malformed catalog file or entry. */
export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

function parseBehaviour(image: string, value: unknown): ImageBehaviour {
  if (!isObject(value)) throw new CatalogError(`catalog entry "${image}" must be an object`);
  const number = (key: string, fallback?: number): number => {
    const v = value[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new CatalogError(`catalog entry "${image}": "${key}" must be a non-negative number`);
    return v;
  };
  switch (value.kind) {
    case 'run': {
      const out: ImageBehaviour = { kind: 'run' };
      if (value.logEvery !== undefined) out.logEvery = number('logEvery');
      if (value.lines !== undefined) {
        if (!Array.isArray(value.lines) || !value.lines.every((l) => typeof l === 'string')) {
          throw new CatalogError(`catalog entry "${image}": "lines" must be an array of strings`);
        }
        out.lines = value.lines as string[];
      }
      return out;
    }
    case 'exit':
    case 'crash':
      return { kind: value.kind, code: number('code'), afterMs: number('afterMs', 0) };
    case 'pull-fail':
      return { kind: 'pull-fail' };
    case 'process':
      return parseProcess(image, value);
    default:
      throw new CatalogError(`catalog entry "${image}": unknown kind ${JSON.stringify(value.kind)} (expected run, exit, crash, pull-fail or process)`);
  }
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function parseProcess(image: string, value: Record<string, unknown>): ProcessImage {
  if (!isStrings(value.command) || value.command.length === 0) throw new CatalogError(`catalog entry "${image}": "command" must be a non-empty array of strings`);
  const out: ProcessImage = { kind: 'process', command: [...value.command] };
  if (value.args !== undefined) {
    if (!isStrings(value.args)) throw new CatalogError(`catalog entry "${image}": "args" must be an array of strings`);
    out.args = [...value.args];
  }
  if (value.cwd !== undefined) {
    if (typeof value.cwd !== 'string' || value.cwd === '') throw new CatalogError(`catalog entry "${image}": "cwd" must be a non-empty string`);
    out.cwd = value.cwd;
  }
  if (value.env !== undefined) {
    if (!isObject(value.env) || !Object.values(value.env).every((v) => typeof v === 'string')) throw new CatalogError(`catalog entry "${image}": "env" must map names to strings`);
    out.env = { ...(value.env as Record<string, string>) };
  }
  if (value.node !== undefined) {
    if (typeof value.node !== 'boolean') throw new CatalogError(`catalog entry "${image}": "node" must be true or false`);
    out.node = value.node;
  }
  return out;
}

/** Strips a digest and a tag: `reg:5000/app:1.0` -> `reg:5000/app`. */
function withoutTag(image: string): string {
  const at = image.indexOf('@');
  const base = at >= 0 ? image.slice(0, at) : image;
  const slash = base.lastIndexOf('/');
  const colon = base.lastIndexOf(':');
  return colon > slash ? base.slice(0, colon) : base;
}

/**
 * A map from image (with or without tag) to its behaviour. Images not listed fall back to the
 * module images ({@link ImageCatalog.addModuleImages}), then run and log a line.
 */
export class ImageCatalog {
  private readonly entries = new Map<string, ImageBehaviour>();
  private readonly modules = new Map<string, ProcessImage>();

  constructor(entries: Record<string, ImageBehaviour> = {}) {
    for (const [image, behaviour] of Object.entries(entries)) this.set(image, behaviour);
  }

  /** Reads a JSON file `{ "<image>": { "kind": ... } }`; throws CatalogError when malformed. */
  static fromFile(path: string): ImageCatalog {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new CatalogError(`cannot read image catalog ${path}: ${(error as Error).message}`);
    }
    return ImageCatalog.fromJson(data);
  }

  /** Builds a catalog from parsed JSON; throws CatalogError when malformed. */
  static fromJson(data: unknown): ImageCatalog {
    if (!isObject(data)) throw new CatalogError('image catalog must be a JSON object keyed by image');
    const catalog = new ImageCatalog();
    for (const [image, value] of Object.entries(data)) catalog.set(image, parseBehaviour(image, value));
    return catalog;
  }

  /** Sets (or replaces) the behaviour of an image; validated like file entries. */
  set(image: string, behaviour: ImageBehaviour): void {
    this.entries.set(image, parseBehaviour(image, behaviour));
  }

  /** Removes an entry. */
  delete(image: string): void {
    this.entries.delete(image);
  }

  /**
   * Adds images that run as processes unless an entry names them: the repository's modules,
   * keyed by repository (any tag matches). See modules.ts.
   */
  addModuleImages(images: ReadonlyMap<string, ProcessImage>): void {
    for (const [repository, behaviour] of images) this.modules.set(withoutTag(repository), parseProcess(repository, behaviour as unknown as Record<string, unknown>));
  }

  /** The behaviour for an image: exact match, then without tag, then a module image, then the default. */
  behaviourOf(image: string): ImageBehaviour {
    return this.entries.get(image) ?? this.entries.get(withoutTag(image)) ?? this.modules.get(withoutTag(image)) ?? { kind: 'run' };
  }
}
