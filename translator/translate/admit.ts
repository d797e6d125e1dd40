/**
 * Admission of a desired deployment: a validated manifest is translated, and the whole is
 * accepted only when nothing is in error. A rejected deployment carries the edgeAgent
 * `lastDesiredStatus` that explains it (400, 412, 417 with each error's pointer); what runs
 * stays running. Pure.
 */
import { hasErrors, statusOf, type Diagnostic, type DeploymentModel, type ManifestResult } from '../manifest/index.js';
import { translate } from './translate.js';
import type { TranslateOptions } from './options.js';
import type { KubeObject } from './types.js';

/** Longest `lastDesiredStatus.description`, so that it fits a twin comfortably. */
export const MAX_DESCRIPTION_LENGTH = 1000;

export type Admission =
  /** Apply `objects`; `warnings` name what was not mapped. */
  | { kind: 'accepted'; model: DeploymentModel; objects: KubeObject[]; warnings: Diagnostic[] }
  /** Keep what runs; report `status` as lastDesiredStatus. */
  | { kind: 'rejected'; status: { code: number; description: string } };

export function admitDeployment(manifest: ManifestResult, options: Partial<TranslateOptions>): Admission {
  const { model, diagnostics } = manifest;
  const all: Diagnostic[] = [...diagnostics];
  let objects: KubeObject[] = [];
  if (model) {
    const result = translate(model, options);
    all.push(...result.diagnostics);
    objects = result.objects;
  }
  if (!model || hasErrors(all)) return { kind: 'rejected', status: { code: statusOf(all), description: describeErrors(all) } };
  return { kind: 'accepted', model, objects, warnings: all };
}

/** The errors, each with its pointer, within {@link MAX_DESCRIPTION_LENGTH}. */
export function describeErrors(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const text = errors.map((d) => `${d.pointer || '/'}: ${d.message}`).join('; ');
  return text.length > MAX_DESCRIPTION_LENGTH ? `${text.slice(0, MAX_DESCRIPTION_LENGTH - 3)}...` : text;
}
