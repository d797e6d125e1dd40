import type { Diagnostic } from '../manifest/index.js';

/** A Kubernetes object as plain JSON (apiVersion, kind, metadata first). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface TranslationResult {
  /** Objects in a stable order (see translate.ts). */
  objects: KubeObject[];
  /** Warnings (unsupported keys, name collisions) and errors that stop a module. */
  diagnostics: Diagnostic[];
}
