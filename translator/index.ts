/**
 * The programmatic API, the package's face (`import { validate, translate } from 'iotedge-k8s'`):
 * the same intake and translation the `iotedge-k8s validate` and `translate` commands run (they
 * are built on it), for tools that embed the translator.
 *
 * A document is a deployment manifest in any form the CLI takes (`{modulesContent}`,
 * `{content: {modulesContent}}`, bare `$edgeAgent` desired properties, a deployment template,
 * a base with layered deployments), given as parsed JSON or as JSON text. Nothing throws for a
 * bad manifest: problems come back as diagnostics with a JSON pointer into the document. Only
 * an unreadable file (the `*File` functions, a template's `.env` or `modules/<name>/module.json`)
 * rejects, with {@link ManifestLoadError}.
 */
import type { Diagnostic, ManifestSource } from './manifest/index.js';
import { compileManifest } from './sources/index.js';
import type { KubeObject, PodSecurityLevel, ServiceType, TranslateOptions, VolumeBinding } from './translate/index.js';

export type { Diagnostic, Severity, StatusCode } from './manifest/index.js';
export { ManifestLoadError } from './manifest/index.js';
export type { KubeObject, PodSecurityLevel, ServiceType, VolumeBinding } from './translate/index.js';

/** A deployment manifest as parsed JSON, or as JSON text (a string). */
export type ManifestDocument = unknown;

/** Where a document comes from and what it is merged with. */
export interface ManifestOptions {
  /**
   * The document's file path, if it has one: names it in messages, and its folder holds a
   * template's `.env` and `modules/<name>/module.json`.
   * @default a `manifest.json` in the working directory
   */
  path?: string;
  /** Layered deployments (parsed JSON or JSON text) merged onto the document, in ascending priority unless they carry one. */
  layers?: ManifestDocument[];
  /** Variables for `${VAR}` placeholders of templates. @default process.env */
  env?: Record<string, string | undefined>;
}

/** How modules become Kubernetes objects; every field has a default. */
export interface TranslationOptions {
  /** Namespace of every object (a DNS-1123 label). @default "default" */
  namespace?: string;
  /** IoT Hub device id (labels, `IOTEDGE_DEVICEID`). @default "edge-device" */
  deviceId?: string;
  /** IoT Hub host name (labels, `IOTEDGE_IOTHUBHOSTNAME`). @default "localhost" */
  hub?: string;
  /** Service type for `HostConfig.PortBindings`. @default "LoadBalancer" */
  serviceType?: ServiceType;
  /** `volume` mounts: dynamic claims, or claims bound to pre-made PVs of the same name. @default "dynamic" */
  volumeBinding?: VolumeBinding;
  /** storageClassName of dynamic claims. @default the cluster default */
  storageClass?: string;
  /** Requested size of claims. @default "1Gi" */
  volumeSize?: string;
  /** Pod Security Standard every module must meet; a module that breaks it is an error. @default "privileged" */
  podSecurity?: PodSecurityLevel;
}

export interface ValidationResult {
  /** True when no diagnostic is an error: the manifest is valid and every module translates. */
  valid: boolean;
  /** Manifest diagnostics first, then translation diagnostics. */
  diagnostics: Diagnostic[];
  /** The ids of the deployment's modules (not edgeAgent and edgeHub); empty when the manifest is invalid. */
  modules: string[];
}

export interface TranslationOutput extends ValidationResult {
  /**
   * The Kubernetes objects in a stable order; empty unless `valid`. Read-only: objects may share
   * parts with each other (they are not deep copies), so copy one before changing it.
   */
  objects: KubeObject[];
}

/** Options of the `*File` functions: layers are files too. */
export interface FileOptions {
  /** Layered deployment files merged onto the base. */
  layers?: string[];
  /** Variables for `${VAR}` placeholders of templates. @default process.env */
  env?: Record<string, string | undefined>;
}

function translateOptions(o: TranslationOptions): Partial<TranslateOptions> {
  return {
    namespace: o.namespace,
    deviceId: o.deviceId,
    hubHostname: o.hub,
    portBindingServiceType: o.serviceType,
    volumeBinding: o.volumeBinding,
    storageClassName: o.storageClass,
    volumeSize: o.volumeSize,
    podSecurity: o.podSecurity,
  };
}

async function compile(source: ManifestSource, layers: ManifestSource[], env: FileOptions['env'], options: TranslationOptions): Promise<TranslationOutput> {
  const { model, diagnostics, objects, ok } = await compileManifest(source, { layers, env }, translateOptions(options));
  return { valid: ok, diagnostics, modules: model?.modules.map((m) => m.name) ?? [], objects: ok ? objects : [] };
}

function documentSources(doc: ManifestDocument, options: ManifestOptions): [ManifestSource, ManifestSource[]] {
  return [{ document: doc, path: options.path }, (options.layers ?? []).map((document) => ({ document }))];
}

/** Validates a deployment manifest (and checks that it translates), as `iotedge-k8s validate --json`. */
export async function validate(doc: ManifestDocument, options: ManifestOptions & TranslationOptions = {}): Promise<ValidationResult> {
  const { valid, diagnostics, modules } = await compile(...documentSources(doc, options), options.env, options);
  return { valid, diagnostics, modules };
}

/** Translates a deployment manifest into Kubernetes objects, as `iotedge-k8s translate --output json`. */
export async function translate(doc: ManifestDocument, options: ManifestOptions & TranslationOptions = {}): Promise<TranslationOutput> {
  return compile(...documentSources(doc, options), options.env, options);
}

/** {@link validate} for a manifest file (and layer files). */
export async function validateFile(path: string, options: FileOptions & TranslationOptions = {}): Promise<ValidationResult> {
  const { valid, diagnostics, modules } = await translateFile(path, options);
  return { valid, diagnostics, modules };
}

/** {@link translate} for a manifest file (and layer files). */
export async function translateFile(path: string, options: FileOptions & TranslationOptions = {}): Promise<TranslationOutput> {
  return compile({ file: path }, (options.layers ?? []).map((file) => ({ file })), options.env, options);
}
