/**
 * The pod template of a module: one container named after the module, its ServiceAccount,
 * pull Secrets, volumes, host settings and the k8s-experimental pod fields. Service links are
 * off so Kubernetes does not add `<SERVICE>_PORT` variables that could clash with module env.
 */
import type { ModuleModel } from '../manifest/index.js';
import type { Issues } from './issues.js';
import type { ModuleSpec } from './spec.js';
import { compareText, hasKeys, nonEmpty, nonEmptyRecord, sortedRecord } from './canonical.js';
import type { ContainerPort } from './service.js';
import { podVolumes } from './volumes.js';
import { resourcesField } from './resources.js';
import { buildEnv, type RuntimeEnv } from './env.js';
import { MODULE_VERSION_ANNOTATION, ORIGINAL_MODULE_ID_ANNOTATION } from './labels.js';
import { assignOwn, setOwn, sortBy } from '../shared/index.js';

/**
 * The container's imagePullPolicy. `never` -> Never. `on-create`: edgeAgent pulls whenever it
 * creates the container, i.e. whenever a deployment changes the module, so a redeploy of a
 * mutable tag (`:1.0`) picks up a new push of it. A kubelet with IfNotPresent never pulls a tag
 * it already has, so a mutable tag gets Always: every pod the changed template creates resolves
 * the tag again (the kubelet pulls only layers it lacks). An image pinned by digest cannot
 * change: IfNotPresent.
 */
export function pullPolicy(module: Pick<ModuleModel, 'image' | 'imagePullPolicy'>): 'Always' | 'IfNotPresent' | 'Never' {
  if (module.imagePullPolicy === 'never') return 'Never';
  return module.image.includes('@') ? 'IfNotPresent' : 'Always';
}

const byName = (a: Record<string, unknown>, b: Record<string, unknown>): number => compareText(String(a.name), String(b.name));
const byMountPath = (a: Record<string, unknown>, b: Record<string, unknown>): number => compareText(String(a.mountPath), String(b.mountPath));

export interface PodInput {
  module: ModuleModel;
  /** Kubernetes name of the module. */
  name: string;
  spec: ModuleSpec;
  /** The module's labels ({@link objectLabels}), the same object as on its other objects. */
  labels: Record<string, string>;
  /** The runtime's variables shared by every module of the translation ({@link runtimeEnv}). */
  runtimeEnv: RuntimeEnv;
  /** `imagePullSecrets` of the pod ({@link pullSecretRefs}): shared by the modules of a registry, read-only. */
  imagePullSecrets: readonly { name: string }[];
  /** The module's container ports ({@link containerPorts}), found once for the pod and the headless Service. */
  containerPorts: readonly ContainerPort[];
  claimName: (source: string) => string;
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  issues: Issues;
}

/** The PodTemplateSpec (metadata and spec) of a module. */
export function buildPodTemplate(input: PodInput): Record<string, unknown> {
  const { module, name, spec, issues } = input;
  const experimental = spec.experimental;
  const extraVolumes = experimental.volumes;
  const { volumes, volumeMounts } = podVolumes(spec.mounts, input.claimName, extraVolumes === undefined || extraVolumes.length === 0 ? undefined : new Set(extraVolumes.map((v) => v.volume.name as string)));
  // Most modules have no k8s-experimental volumes: no list or iterator for them.
  if (extraVolumes !== undefined)
    for (const extra of extraVolumes) {
      volumeMounts.push(...extra.volumeMounts);
      volumes.push(extra.volume);
    }
  sortBy(volumes, byName);
  sortBy(volumeMounts, byMountPath);

  // Keys in output order (see canonical.ts); optional fields only when set.
  const container: Record<string, unknown> = {};
  // The spec's own lists (read from createOptions into new arrays), shared: objects are read-only.
  if (spec.args !== undefined && spec.args.length > 0) container.args = spec.args;
  if (spec.command !== undefined && spec.command.length > 0) container.command = spec.command;
  const env = buildEnv(module, spec, input.runtimeEnv, issues);
  if (env.length > 0) container.env = env;
  container.image = module.image;
  container.imagePullPolicy = pullPolicy(module);
  if (spec.livenessProbe !== undefined) container.livenessProbe = spec.livenessProbe;
  container.name = name;
  // The list the headless Service reads too, shared (objects are read-only).
  if (input.containerPorts.length > 0) container.ports = input.containerPorts;
  const resources = resourcesField(spec.resources);
  if (resources !== undefined) container.resources = resources;
  // Filled key by key in createOptions order (CapAdd, Privileged, User...): ordered here.
  if (hasKeys(spec.securityContext)) container.securityContext = sortedRecord(spec.securityContext);
  if (spec.stdin !== undefined) container.stdin = spec.stdin;
  if (spec.stdinOnce !== undefined) container.stdinOnce = spec.stdinOnce;
  if (spec.tty !== undefined) container.tty = spec.tty;
  if (volumeMounts.length > 0) container.volumeMounts = volumeMounts;
  if (spec.workingDir !== undefined) container.workingDir = spec.workingDir;

  // Added in output order (module-version before original-moduleid), so that sortedRecord finds
  // them in order whenever the Labels sort before them.
  const annotations = assignOwn<string>({}, spec.annotations);
  if (module.version !== undefined && module.version !== '') annotations[MODULE_VERSION_ANNOTATION] = module.version;
  annotations[ORIGINAL_MODULE_ID_ANNOTATION] = module.name;
  const metadata = { annotations: sortedRecord(annotations), labels: input.labels };

  const podSecurityFields = spec.pod.securityContext as Record<string, unknown> | undefined;
  // A merge only when either sets a field (few modules do).
  const podSecurity =
    podSecurityFields === undefined && experimental.securityContext === undefined ? undefined : assignOwn(assignOwn<unknown>({}, podSecurityFields), experimental.securityContext);
  // The pod fields written here, in output order, unset ones left out.
  const podSpec: Record<string, unknown> = {};
  const affinity = nonEmptyRecord(experimental.affinity);
  if (affinity != null) podSpec.affinity = affinity;
  podSpec.automountServiceAccountToken = false;
  podSpec.containers = [container];
  podSpec.enableServiceLinks = false;
  if (input.imagePullSecrets.length > 0) podSpec.imagePullSecrets = input.imagePullSecrets;
  const nodeSelector = nonEmptyRecord(experimental.nodeSelector);
  if (nodeSelector != null) podSpec.nodeSelector = nodeSelector;
  podSpec.restartPolicy = input.restartPolicy;
  // A merge of two records (createOptions, then k8s-experimental): ordered here.
  if (podSecurity !== undefined && hasKeys(podSecurity)) podSpec.securityContext = sortedRecord(podSecurity);
  podSpec.serviceAccountName = name;
  const tolerations = nonEmpty(experimental.tolerations);
  if (tolerations !== undefined) podSpec.tolerations = tolerations;
  if (volumes.length > 0) podSpec.volumes = volumes;
  return { metadata, spec: withPodFields(podSpec, spec.pod) };
}

/** The pod spec fields {@link buildPodTemplate} writes: createOptions pod fields of these names never show (set or unset here). */
const WRITTEN_POD_FIELDS = new Set([
  'affinity',
  'automountServiceAccountToken',
  'containers',
  'enableServiceLinks',
  'imagePullSecrets',
  'nodeSelector',
  'restartPolicy',
  'securityContext',
  'serviceAccountName',
  'tolerations',
  'volumes',
]);

/**
 * `podSpec` with the pod fields createOptions set (hostNetwork, dnsConfig...: few, and not
 * always there), in canonical order; the fields of `podSpec` win.
 */
function withPodFields(podSpec: Record<string, unknown>, podFields: Record<string, unknown>): Record<string, unknown> {
  if (!hasKeys(podFields)) return podSpec;
  const keys = Object.keys(podFields);
  const merged: Record<string, unknown> = {};
  for (const key of keys) if (!WRITTEN_POD_FIELDS.has(key)) setOwn(merged, key, podFields[key]);
  return sortedRecord(assignOwn(merged, podSpec));
}
