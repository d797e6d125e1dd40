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
  | { kind: 'pull-fail' };

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
    default:
      throw new CatalogError(`catalog entry "${image}": unknown kind ${JSON.stringify(value.kind)} (expected run, exit, crash or pull-fail)`);
  }
}

/** Strips a digest and a tag: `reg:5000/app:1.0` -> `reg:5000/app`. */
function withoutTag(image: string): string {
  const at = image.indexOf('@');
  const base = at >= 0 ? image.slice(0, at) : image;
  const slash = base.lastIndexOf('/');
  const colon = base.lastIndexOf(':');
  return colon > slash ? base.slice(0, colon) : base;
}

/** A map from image (with or without tag) to its behaviour. Unlisted images run and log a line. */
export class ImageCatalog {
  private readonly entries = new Map<string, ImageBehaviour>();

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

  /** The behaviour for an image: exact match, then without tag, then the default. */
  behaviourOf(image: string): ImageBehaviour {
    return this.entries.get(image) ?? this.entries.get(withoutTag(image)) ?? { kind: 'run' };
  }
}
