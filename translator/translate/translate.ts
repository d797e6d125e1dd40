/**
 * translate(model, options): the orchestration. Pure and deterministic: the same model and
 * options give the same objects and diagnostics, whatever the order of modules in the input.
 *
 * Objects, in this order (by name within a kind): pull Secrets, ServiceAccounts,
 * PersistentVolumeClaims, Services, Deployments, Jobs. edgeHub deploys like a module; edgeAgent
 * is never deployed (the bridge is the agent). A module whose createOptions cannot be
 * translated gets error diagnostics and no objects; the others still translate.
 */
import { error, warning, joinPointer, type Diagnostic, type DeploymentModel, type ModuleModel } from '../manifest/index.js';
import { optionProblems, withDefaults, type TranslateOptions } from './options.js';
import type { KubeObject, TranslationResult } from './types.js';
import { compareText } from './canonical.js';
import { interpretCreateOptions, EXPERIMENTAL_KEY } from './create-options.js';
import type { ModuleSpec } from './spec.js';
import type { Issues } from './issues.js';
import { assignModuleNames, assignNames, toDnsSubdomain, withHash, type AssignedName } from './names.js';
import { deviceLabels, moduleLabels, type DeviceLabels, type ModuleLabels } from './labels.js';
import { buildPullSecret, pullSecretFinder, pullSecretNames, pullSecretRefs } from './pull-secret.js';
import { buildServiceAccount } from './service-account.js';
import { buildClaim } from './volumes.js';
import { buildHeadlessService, buildService, containerPorts, PUBLISHED_SUFFIX, publishedServiceName, serviceAnnotations } from './service.js';
import { reservedNames, reservedOwner } from './reserved.js';
import { buildPodTemplate } from './pod.js';
import { runtimeEnv as sharedRuntimeEnv, type RuntimeEnv } from './env.js';
import { buildDeployment } from './deployment.js';
import { buildJob } from './job.js';
import { applyRank } from '../kinds/index.js';
import { sortBy } from '../shared/index.js';
import { leftoverPlaceholders } from './placeholders.js';
import { checkObjectLimits, moduleSizeBound } from './limits.js';
import { checkPodSecurity } from './pod-security.js';

/** Rule of warnings about changed or colliding names. */
export const NAME_RULE = 'name-collision';

function nameDiagnostic(what: string, pointer: string, n: AssignedName): Diagnostic | undefined {
  if (n.reason === 'sanitized')
    return warning(pointer, `${what} '${n.original}' is not a valid Kubernetes name; its objects are named '${n.name}'`, NAME_RULE);
  if (n.reason === 'reserved')
    return warning(pointer, `${what} '${n.original}' would take the name of ${n.reservedBy}; its objects are named '${n.name}'`, NAME_RULE);
  if (n.reason === 'collision')
    return warning(
      pointer,
      `${what} '${n.original}' has the same Kubernetes name as ${n.collidedWith!.map((c) => `'${c}'`).join(', ')}; its objects are named '${n.name}'`,
      NAME_RULE,
    );
  return undefined;
}

interface Interpreted {
  module: ModuleModel;
  name: string;
  /** Name of its `<module>-published` Service. */
  published: string;
  spec: ModuleSpec;
  issues: Issues;
}

/**
 * The objects in output order: by apply rank of their kind, then by name (stable). One list per
 * rank (a handful of kinds), each sorted by name: the objects of one kind come mostly in name
 * order already (modules are translated in name order), so a list is checked first and sorted
 * only when it is not (a stable sort leaves a list in order as it is).
 */
function sortObjects(objects: readonly KubeObject[]): KubeObject[] {
  const byRank = new Map<number, KubeObject[]>();
  for (const object of objects) {
    const rank = applyRank(object.kind);
    const list = byRank.get(rank);
    if (list === undefined) byRank.set(rank, [object]);
    else list.push(object);
  }
  const out: KubeObject[] = [];
  for (const rank of sortBy([...byRank.keys()], (a, b) => a - b)) {
    const list = byRank.get(rank)!;
    for (const object of inNameOrder(list) ? list : list.sort(byObjectName)) out.push(object);
  }
  return out;
}

const byObjectName = (a: KubeObject, b: KubeObject): number => compareText(a.metadata.name, b.metadata.name);

/** True when `objects` are in name order already (a native sort costs several times this check, and allocates). */
function inNameOrder(objects: readonly KubeObject[]): boolean {
  for (let i = 1; i < objects.length; i++) if (byObjectName(objects[i - 1]!, objects[i]!) > 0) return false;
  return true;
}

/** Translates a deployment model into Kubernetes objects and diagnostics; never throws on model content. */
export function translate(model: DeploymentModel, options: Partial<TranslateOptions> = {}): TranslationResult {
  const opts = withDefaults(options);
  const problems = optionProblems(opts);
  if (problems.length > 0) return { objects: [], diagnostics: problems.map((m) => error('', m, 'invalid-option')) };

  const diagnostics: Diagnostic[] = leftoverPlaceholders(model);
  const objects: KubeObject[] = [];
  const device = deviceLabels(opts.deviceId, opts.hubHostname);
  const byName = (a: ModuleModel, b: ModuleModel): number => compareText(a.name, b.name);
  const systemIds = new Set([model.edgeAgent.name, ...(model.edgeHub ? [model.edgeHub.name] : [])]);
  const userModules = sortBy(model.modules.slice(), byName).filter((m) => {
    if (!systemIds.has(m.name)) return true;
    diagnostics.push(error(m.pointer, `module id '${m.name}' is reserved for the IoT Edge system module of that name`, 'reserved-module-name'));
    return false;
  });
  const modules = model.edgeHub ? [model.edgeHub].concat(userModules) : userModules;
  const names = assignModuleNames(
    modules.map((m) => m.name),
    model.edgeHub ? [model.edgeHub.name] : [],
    reservedNames(['ServiceAccount', 'Service', 'Deployment', 'Job'], opts.namespace),
  );
  // `<module>-published` Service names, clear of module names and reserved ones. A candidate
  // ends with the suffix, so only names that end with it can clash (usually none: no lookups).
  // (Indexed loops here and below: in this long function, for-of over a Map or list was not
  // inlined and allocated an iterator result per step, about 0.5 kB per module.)
  const assigned: AssignedName[] = [];
  const clashing = new Set<string>();
  for (let i = 0; i < modules.length; i++) {
    const n = names.get(modules[i]!.name)!;
    assigned.push(n);
    if (n.name.endsWith(PUBLISHED_SUFFIX)) clashing.add(n.name);
  }
  for (const reserved of reservedNames(['Service'], opts.namespace).keys()) if (reserved.endsWith(PUBLISHED_SUFFIX)) clashing.add(reserved);
  const publishedName = (n: AssignedName): string => {
    const candidate = publishedServiceName(n.name);
    return clashing.size > 0 && clashing.has(candidate) ? withHash(candidate, `${n.original}/published`) : candidate;
  };

  // Pull Secrets: one per credential.
  const credentials = sortBy(model.registryCredentials.slice(), (a, b) => compareText(a.name, b.name));
  const secretNames = pullSecretNames(credentials, reservedNames(['Secret'], opts.namespace));
  for (const credential of credentials) {
    const n = secretNames.get(credential.name)!;
    const d = nameDiagnostic('registry credential', credential.pointer, n);
    if (d && n.reason !== 'sanitized') diagnostics.push(d);
    objects.push(buildPullSecret(credential, n.name, device, opts));
  }

  // Interpret every module's createOptions; failed modules produce no objects.
  const interpreted: Interpreted[] = [];
  for (let i = 0; i < modules.length; i++) {
    const module = modules[i]!;
    const n = assigned[i]!;
    const d = nameDiagnostic('module', module.pointer, n);
    if (d) diagnostics.push(d);
    let outcome: ReturnType<typeof interpretCreateOptions>;
    try {
      outcome = interpretCreateOptions(module);
    } catch (e) {
      diagnostics.push(internalError(module, e));
      continue;
    }
    if (outcome.issues.failed) for (const d of outcome.issues.diagnostics) diagnostics.push(d);
    else interpreted.push({ module, name: n.name, published: publishedName(n), spec: outcome.spec, issues: outcome.issues });
  }

  // Claims: one per named volume, shared by the modules that mount it.
  const claimUsers = new Map<string, { modules: Set<string>; pointer: string }>();
  for (let i = 0; i < interpreted.length; i++) {
    const { name, spec } = interpreted[i]!;
    const mounts = spec.mounts;
    for (let k = 0; k < mounts.length; k++) {
      const m = mounts[k]!;
      if (m.source.kind === 'claim') {
        const use = claimUsers.get(m.source.source) ?? { modules: new Set<string>(), pointer: m.pointer };
        use.modules.add(name);
        claimUsers.set(m.source.source, use);
      }
    }
  }
  const claimNames = assignNames([...claimUsers.keys()], toDnsSubdomain, [], reservedNames(['PersistentVolumeClaim'], opts.namespace));
  for (const [source, use] of [...claimUsers].sort(([a], [b]) => compareText(a, b))) {
    const n = claimNames.get(source)!;
    const d = nameDiagnostic('volume', use.pointer, n);
    if (d) diagnostics.push(d);
    objects.push(buildClaim({ name: n.name, modules: [...use.modules].sort() }, device, opts));
  }
  const claimName = (source: string): string => claimNames.get(source)!.name;
  const pullSecretsOf = pullSecretFinder(credentials, secretNames);
  const refsOf = pullSecretRefs();
  const runtimeEnv = sharedRuntimeEnv(opts);

  for (let i = 0; i < interpreted.length; i++) {
    const entry = interpreted[i]!;
    const { module, issues, published } = entry;
    // Labels, selector and metadata: one object each, shared by the module's objects.
    const meta = moduleLabels(device, opts.namespace, entry.name, module.name);
    // The module's objects go straight into the list, from `start` on, and are taken out again
    // when the module fails.
    const start = objects.length;
    let built = false;
    let bound = 0;
    try {
      const pullSecrets = pullSecretsOf(module.image);
      buildModule(objects, entry, meta, published, opts, device, refsOf(pullSecrets), runtimeEnv, claimName);
      bound = moduleSizeBound(module, opts, pullSecrets);
      built = true;
    } catch (e) {
      diagnostics.push(internalError(module, e));
    }
    // The builders write canonical objects (no walk re-reads them); the size check takes a
    // bound found from the module's inputs and serializes only when it passes the limit.
    if (built) checkObjectLimits(objects, module.createOptionsPointer, issues, bound, start);
    // A module whose finished objects the API server would refuse produces none.
    if (!built || issues.failed) objects.length = start;
    const found = issues.diagnostics;
    for (let k = 0; k < found.length; k++) diagnostics.push(found[k]!);
  }

  // A module that breaks the chosen Pod Security Standard refuses the whole deployment.
  if (diagnostics.some((d) => d.rule === 'pod-security')) return { objects: [], diagnostics };

  dropReserved(objects, opts.namespace, diagnostics);
  // Every object is canonical as it was built (checked by the tests, see canonical.ts).
  return { objects: sortObjects(objects), diagnostics };
}

/**
 * A last check over every generated name: nothing may take an object Kubernetes or the bridge
 * owns. Such objects are taken out of `objects` (in place: the list is the translation's own),
 * each with an error.
 */
function dropReserved(objects: KubeObject[], namespace: string, diagnostics: Diagnostic[]): void {
  let kept = 0;
  for (let i = 0; i < objects.length; i++) {
    const object = objects[i]!;
    const owner = reservedOwner(object, namespace);
    if (owner === undefined) objects[kept++] = object;
    else diagnostics.push(error('', `${object.kind} '${object.metadata.name}' would replace ${owner}`, NAME_RULE));
  }
  objects.length = kept;
}

/**
 * The diagnostic of an unexpected exception in one module's step (a bug, never bad input): it
 * is reported for that module instead of escaping translate().
 */
function internalError(module: ModuleModel, e: unknown): Diagnostic {
  const name = e instanceof Error ? e.name : 'error';
  return error(module.pointer, `module '${module.name}' could not be translated (internal ${name}); please report this with the manifest`, 'internal');
}

/**
 * Adds the ServiceAccount, Service and workload of one module to `objects`; `meta` are its
 * shared labels, selector and metadata.
 */
function buildModule(
  objects: KubeObject[],
  { module, name, spec, issues }: Interpreted,
  meta: ModuleLabels,
  publishedName: string,
  opts: TranslateOptions,
  device: DeviceLabels,
  imagePullSecrets: readonly { name: string }[],
  runtimeEnv: RuntimeEnv,
  claimName: (source: string) => string,
): void {
  objects.push(buildServiceAccount(meta));
  const ports = containerPorts(spec);
  const annotations = serviceAnnotations(spec, meta);
  const serviceInput = { name, publishedName, spec, containerPorts: ports, annotations, device, module: meta, options: opts, pointer: module.createOptionsPointer, issues };
  objects.push(buildHeadlessService(serviceInput));
  const service = buildService(serviceInput);
  if (service) objects.push(service);
  const isJob = module.restartPolicy === 'on-failure' || module.restartPolicy === 'never';
  const template = buildPodTemplate({
    module,
    name,
    spec,
    labels: meta.labels,
    runtimeEnv,
    imagePullSecrets,
    containerPorts: ports,
    claimName,
    restartPolicy: module.restartPolicy === 'never' ? 'Never' : isJob ? 'OnFailure' : 'Always',
    issues,
  });
  // Checked on the template even when no workload is emitted (a stopped Job module).
  checkPodSecurity(template.spec as Record<string, unknown>, opts.podSecurity, module.createOptionsPointer, issues);
  const workload = { spec, module: meta, template };
  if (!isJob) objects.push(buildDeployment(workload, module.status === 'stopped'));
  else {
    if (spec.experimental.strategy)
      issues.warn(joinPointer(module.createOptionsPointer, EXPERIMENTAL_KEY, 'strategy'), 'strategy is ignored: the module runs as a Job');
    if (module.status !== 'stopped') objects.push(buildJob(workload, module.restartPolicy as 'on-failure' | 'never'));
  }
}
