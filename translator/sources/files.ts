/**
 * Local manifest files as a source of desired deployments, for module developers: a file (a
 * manifest or template) or a folder, loaded at start and again after every save. Each save is
 * a new desired version (1, 2, ...).
 *
 * A folder holds one base (`deployment.template.json`, `deployment.debug.template.json`,
 * `deployment.json`, or its only other `.json` file) and any `*.layer.json` layered deployments.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Observable } from 'rxjs';
import { loadManifest, ManifestLoadError } from '../manifest/index.js';
import type { StructuredLogger } from '../ops/index.js';
import type { ReportedDocument } from '../status/index.js';
import type { DesiredInput, DesiredSource, SourceDevice } from './desired.js';

const BASE_NAMES = ['deployment.template.json', 'deployment.debug.template.json', 'deployment.json'];

export interface ManifestFiles {
  base: string;
  layers: string[];
}

/** The base and layers a `--manifest` path names. */
export async function manifestFiles(path: string, layers: readonly string[] = []): Promise<ManifestFiles> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    throw new ManifestLoadError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (e as Error).message}`, path);
  }
  if (!info.isDirectory()) return { base: path, layers: [...layers] };
  const names = (await readdir(path)).filter((n) => n.endsWith('.json')).sort();
  const layerNames = names.filter((n) => n.endsWith('.layer.json'));
  const others = names.filter((n) => !n.endsWith('.layer.json'));
  const base = BASE_NAMES.find((n) => others.includes(n)) ?? (others.length === 1 ? others[0] : undefined);
  if (!base) {
    throw new ManifestLoadError(
      others.length === 0
        ? `${path} holds no deployment manifest (.json)`
        : `${path} holds several manifests (${others.join(', ')}); name one, or call the base ${BASE_NAMES.join(' or ')}`,
      path,
    );
  }
  return { base: join(path, base), layers: [...layerNames.map((n) => join(path, n)), ...layers] };
}

export interface WatchOptions {
  env?: Record<string, string | undefined>;
  /** Quiet time after a change before reloading (editors write in several steps). @default 200 */
  debounceMs?: number;
}

/** Loads the files now and after each change; a file that cannot be read becomes a 400 diagnostic of that version. */
export function watchManifest(files: ManifestFiles, options: WatchOptions = {}): Observable<DesiredInput> {
  return new Observable<DesiredInput>((subscriber) => {
    let version = 0;
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const load = async () => {
      try {
        const manifest = await loadManifest(files.base, { env: options.env, layers: files.layers });
        if (!closed) subscriber.next({ version: ++version, manifest });
      } catch (e) {
        // A file that vanished mid-save: report it as a format error of this version; the next save loads again.
        const message = e instanceof Error ? e.message : String(e);
        if (!closed) subscriber.next({ version: ++version, manifest: { diagnostics: [{ pointer: '', code: 400, message, severity: 'error', rule: 'file' }] } });
      }
    };
    const schedule = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void load(), options.debounceMs ?? 200);
    };
    // Watch the folders, not the files: editors often replace a file by renaming a new one over it.
    const watched = new Set([files.base, ...files.layers].map((f) => basename(f)));
    const watchers: FSWatcher[] = [...new Set([files.base, ...files.layers].map((f) => dirname(f)))].map((dir) =>
      watch(dir, (_event, name) => {
        if (name === null || watched.has(name.toString()) || name.toString() === '.env') schedule();
      }),
    );
    void load();
    return () => {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers) w.close();
    };
  });
}

export interface FilesSourceOptions {
  files: ManifestFiles;
  device: SourceDevice;
  /** Where each reported document is written (JSON, replaced whole). */
  statusFile: string;
  logger: StructuredLogger;
  watch?: WatchOptions;
}

/** Local manifest files in, reported documents out to a status file. */
export class FilesSource implements DesiredSource {
  readonly device: SourceDevice;
  readonly desired$: Observable<DesiredInput>;

  constructor(private readonly options: FilesSourceOptions) {
    this.device = options.device;
    this.desired$ = watchManifest(options.files, options.watch);
  }

  /** The newest document not yet written, and the write in progress. */
  private unwritten?: ReportedDocument;
  private writing: Promise<void> = Promise.resolve();

  /**
   * Writes the status file: one write at a time, always the newest document (reports that came
   * meanwhile are skipped), through a temporary file renamed over it, so that a reader never
   * sees half a document nor an older one after a newer.
   */
  report(document: ReportedDocument): void {
    const queued = this.unwritten !== undefined;
    this.unwritten = document;
    if (!queued) this.writing = this.writing.then(() => this.writeNewest());
  }

  private async writeNewest(): Promise<void> {
    const { statusFile, logger } = this.options;
    const document = this.unwritten;
    this.unwritten = undefined;
    const temporary = `${statusFile}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, JSON.stringify(document, null, 2) + '\n');
      await rename(temporary, statusFile);
    } catch (e) {
      logger.warn({ error: (e as Error).message, statusFile }, 'cannot write the status file');
    }
  }

  async start(): Promise<void> {}

  /** Resolves once the last report is in the status file. */
  async stop(): Promise<void> {
    await this.writing;
  }
}
