/**
 * Validation as the real API server does it for the served kinds: returns field
 * causes (empty when valid), never throws.
 */
import type { StatusCause } from './errors.js';
import type { ResourceType } from './resources.js';
import { labelSelectorRequirements, matchLabels } from './selectors.js';
import { isObject, jsonEqual, type JsonObject, type KubeObject } from './types.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const MSG_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const MSG_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const MSG_1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

/** Accumulates causes with the real server's message shapes. */
class Causes {
  readonly list: StatusCause[] = [];
  invalid(field: string, value: unknown, detail: string): void {
    this.list.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${formatValue(value)}: ${detail}`, field });
  }
  required(field: string, detail = ''): void {
    this.list.push({ reason: 'FieldValueRequired', message: detail ? `Required value: ${detail}` : 'Required value', field });
  }
  unsupported(field: string, value: unknown, supported: string[]): void {
    this.list.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${formatValue(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
      field,
    });
  }
  duplicate(field: string, value: unknown): void {
    this.list.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${formatValue(value)}`, field });
  }
  forbidden(field: string, detail: string): void {
    this.list.push({ reason: 'FieldValueForbidden', message: `Forbidden: ${detail}`, field });
  }
  tooLong(field: string, value: unknown, max: number): void {
    this.list.push({ reason: 'FieldValueTooLong', message: `Too long: may not be more than ${max} bytes`, field });
    void value;
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Problems with a DNS-1123 label (empty when valid). */
export function dns1123LabelErrors(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(value)) out.push(MSG_LABEL);
  return out;
}

/** Problems with a DNS-1123 subdomain (empty when valid). */
export function dns1123SubdomainErrors(value: string): string[] {
  const out: string[] = [];
  if (value.length > 253) out.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value)) out.push(MSG_SUBDOMAIN);
  return out;
}

/** Problems with a DNS-1035 label (empty when valid). */
export function dns1035LabelErrors(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push('must be no more than 63 characters');
  if (!DNS1035_LABEL.test(value)) out.push(MSG_1035);
  return out;
}

/** Problems with a label key (qualified name with optional DNS subdomain prefix). */
export function labelKeyErrors(key: string): string[] {
  const slash = key.lastIndexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const out: string[] = [];
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix === '') out.push('prefix part must be non-empty');
    else out.push(...dns1123SubdomainErrors(prefix).map((m) => `prefix part ${m}`));
  }
  if (name === '') out.push('name part must be non-empty');
  else {
    if (name.length > 63) out.push('name part must be no more than 63 characters');
    if (!QUALIFIED_NAME.test(name)) {
      out.push(
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      );
    }
  }
  return out;
}

/** Problems with a label value. */
export function labelValueErrors(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) {
    out.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    );
  }
  return out;
}

/** Problems with an IANA service name (container and service port names). */
export function portNameErrors(name: string): string[] {
  const out: string[] = [];
  if (name.length > 15) out.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) out.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (name.includes('--')) out.push('must not contain consecutive hyphens');
  if (!/[a-z]/.test(name)) out.push('must contain at least one letter (a-z)');
  if (name.startsWith('-') || name.endsWith('-')) out.push('must not begin or end with a hyphen');
  return out;
}

/** Index of the first byte that makes `text` invalid padded standard base64, or -1 when valid. */
export function base64Error(text: string): number {
  const body = /^[A-Za-z0-9+/]*/.exec(text)![0].length;
  let end = body;
  while (end < text.length && text[end] === '=') end++;
  if (end < text.length) return end;
  if (end - body > 2 || text.length % 4 !== 0) return text.length - (text.length % 4 || 4);
  return -1;
}

function validPort(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

const PORT_RANGE = 'must be between 1 and 65535, inclusive';

function validateObjectMeta(c: Causes, type: ResourceType, meta: JsonObject): void {
  const name = meta.name;
  if (typeof name !== 'string' || name === '') {
    if (typeof meta.generateName !== 'string' || meta.generateName === '') c.required('metadata.name', 'name or generateName is required');
  } else {
    const errors =
      type.nameRule === 'label' ? dns1123LabelErrors(name) : type.nameRule === 'dns1035' ? dns1035LabelErrors(name) : dns1123SubdomainErrors(name);
    for (const e of errors) c.invalid('metadata.name', name, e);
  }
  validateLabels(c, 'metadata.labels', meta.labels);
  if (meta.annotations !== undefined && isObject(meta.annotations)) {
    for (const key of Object.keys(meta.annotations)) {
      for (const e of labelKeyErrors(key)) c.invalid('metadata.annotations', key, e);
    }
  }
}

function validateLabels(c: Causes, field: string, labels: unknown): void {
  if (!isObject(labels)) return;
  for (const [key, value] of Object.entries(labels)) {
    for (const e of labelKeyErrors(key)) c.invalid(field, key, e);
    for (const e of labelValueErrors(String(value))) c.invalid(field, value, e);
  }
}

/** `privileged` and `allowPrivilegeEscalation: false` together (ValidateSecurityContext). */
function validateSecurityContext(c: Causes, field: string, sc: unknown): void {
  if (!isObject(sc) || sc.allowPrivilegeEscalation !== false) return;
  if (sc.privileged === true) c.invalid(field, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true');
  const add = isObject(sc.capabilities) && Array.isArray(sc.capabilities.add) ? sc.capabilities.add : [];
  if (add.includes('CAP_SYS_ADMIN')) c.invalid(field, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN');
}

/** Every mountPath once per container (ValidateVolumeMounts). */
function validateVolumeMounts(c: Causes, field: string, mounts: unknown): void {
  if (!Array.isArray(mounts)) return;
  const seen = new Set<string>();
  mounts.forEach((mount: unknown, i) => {
    if (!isObject(mount)) return;
    const path = mount.mountPath;
    if (typeof path !== 'string' || path === '') {
      c.required(`${field}[${i}].mountPath`);
      return;
    }
    if (seen.has(path)) c.invalid(`${field}[${i}].mountPath`, path, 'must be unique');
    seen.add(path);
  });
}

/**
 * Containers of a pod or a template. `forPod`: the checks the real server makes only
 * on pods (validateContainersOnlyForPod), such as whitespace around the image.
 */
function validateContainers(c: Causes, field: string, containers: unknown, requireOne: boolean, forPod: boolean): void {
  if (!Array.isArray(containers) || containers.length === 0) {
    if (requireOne) c.required(field);
    return;
  }
  const names = new Set<string>();
  containers.forEach((container: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isObject(container)) return;
    const name = container.name;
    if (typeof name !== 'string' || name === '') c.required(`${at}.name`);
    else {
      for (const e of dns1123LabelErrors(name)) c.invalid(`${at}.name`, name, e);
      if (names.has(name)) c.duplicate(`${at}.name`, name);
      names.add(name);
    }
    if (typeof container.image !== 'string' || container.image === '') c.required(`${at}.image`);
    else if (forPod && container.image.trim() !== container.image) c.invalid(`${at}.image`, container.image, 'must not have leading or trailing whitespace');
    validateSecurityContext(c, `${at}.securityContext`, container.securityContext);
    validateVolumeMounts(c, `${at}.volumeMounts`, container.volumeMounts);
    const portNames = new Set<string>();
    if (Array.isArray(container.ports)) {
      container.ports.forEach((port: unknown, j) => {
        const pat = `${at}.ports[${j}]`;
        if (!isObject(port)) return;
        if (!validPort(port.containerPort)) c.invalid(`${pat}.containerPort`, port.containerPort, PORT_RANGE);
        if (port.hostPort !== undefined && port.hostPort !== 0 && !validPort(port.hostPort)) c.invalid(`${pat}.hostPort`, port.hostPort, PORT_RANGE);
        if (typeof port.name === 'string' && port.name !== '') {
          for (const e of portNameErrors(port.name)) c.invalid(`${pat}.name`, port.name, e);
          if (portNames.has(port.name)) c.duplicate(`${pat}.name`, port.name);
          portNames.add(port.name);
        }
        if (port.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(String(port.protocol))) {
          c.unsupported(`${pat}.protocol`, port.protocol, ['SCTP', 'TCP', 'UDP']);
        }
      });
    }
    if (Array.isArray(container.env)) {
      container.env.forEach((env: unknown, j) => {
        if (isObject(env) && (typeof env.name !== 'string' || env.name === '')) c.required(`${at}.env[${j}].name`);
      });
    }
  });
}

function validatePodSpec(c: Causes, field: string, spec: unknown, allowedRestart: string[], forPod = false): void {
  if (!isObject(spec)) {
    c.required(field);
    return;
  }
  validateContainers(c, `${field}.containers`, spec.containers, true, forPod);
  validateContainers(c, `${field}.initContainers`, spec.initContainers, false, forPod);
  if (typeof spec.hostname === 'string' && spec.hostname !== '') {
    for (const e of dns1123LabelErrors(spec.hostname)) c.invalid(`${field}.hostname`, spec.hostname, e);
  }
  if (typeof spec.subdomain === 'string' && spec.subdomain !== '') {
    for (const e of dns1123LabelErrors(spec.subdomain)) c.invalid(`${field}.subdomain`, spec.subdomain, e);
  }
  if (spec.restartPolicy !== undefined && !allowedRestart.includes(String(spec.restartPolicy))) {
    c.unsupported(`${field}.restartPolicy`, spec.restartPolicy, allowedRestart);
  }
  if (Array.isArray(spec.volumes)) {
    const names = new Set<string>();
    spec.volumes.forEach((volume: unknown, i) => {
      if (!isObject(volume)) return;
      const name = String(volume.name ?? '');
      if (name === '') c.required(`${field}.volumes[${i}].name`);
      else {
        for (const e of dns1123LabelErrors(name)) c.invalid(`${field}.volumes[${i}].name`, name, e);
        if (names.has(name)) c.duplicate(`${field}.volumes[${i}].name`, name);
        names.add(name);
      }
    });
  }
}

function validateSelectorMatchesTemplate(c: Causes, spec: JsonObject, required: boolean): void {
  const selector = spec.selector;
  if (!isObject(selector) || (labelSelectorRequirements(selector).length === 0 && required)) {
    if (required) c.required('spec.selector');
    if (!isObject(selector)) return;
  }
  const template = isObject(spec.template) ? spec.template : {};
  const labels = isObject(template.metadata) && isObject(template.metadata.labels) ? (template.metadata.labels as Record<string, string>) : {};
  validateLabels(c, 'spec.template.metadata.labels', labels);
  const reqs = labelSelectorRequirements(selector);
  if (reqs.length > 0 && !matchLabels(reqs, labels)) {
    c.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`');
  }
}

function validateReplicas(c: Causes, spec: JsonObject): void {
  if (spec.replicas !== undefined && (typeof spec.replicas !== 'number' || spec.replicas < 0)) {
    c.invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0');
  }
}

function validateService(c: Causes, spec: JsonObject): void {
  const type = String(spec.type ?? 'ClusterIP');
  const types = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
  if (!types.includes(type)) c.unsupported('spec.type', spec.type, types);
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  if (ports.length === 0 && type !== 'ExternalName' && spec.clusterIP !== 'None') c.required('spec.ports');
  const names = new Set<string>();
  ports.forEach((port: unknown, i) => {
    const at = `spec.ports[${i}]`;
    if (!isObject(port)) return;
    if (!validPort(port.port)) c.invalid(`${at}.port`, port.port, PORT_RANGE);
    if (ports.length > 1 && (typeof port.name !== 'string' || port.name === '')) c.required(`${at}.name`);
    if (typeof port.name === 'string' && port.name !== '') {
      for (const e of dns1123LabelErrors(port.name)) c.invalid(`${at}.name`, port.name, e);
      if (names.has(port.name)) c.duplicate(`${at}.name`, port.name);
      names.add(port.name);
    }
    const target = port.targetPort;
    if (typeof target === 'number' && !validPort(target)) c.invalid(`${at}.targetPort`, target, PORT_RANGE);
    if (typeof target === 'string') for (const e of portNameErrors(target)) c.invalid(`${at}.targetPort`, target, e);
    if (port.nodePort !== undefined && port.nodePort !== 0) {
      if (type !== 'NodePort' && type !== 'LoadBalancer') c.invalid(`${at}.nodePort`, port.nodePort, 'may not be used when `type` is \'ClusterIP\'');
      else if (typeof port.nodePort !== 'number' || port.nodePort < 30000 || port.nodePort > 32767) {
        c.invalid(`${at}.nodePort`, port.nodePort, 'provided port is not in the valid range. The range of valid ports is 30000-32767');
      }
    }
    if (port.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(String(port.protocol))) {
      c.unsupported(`${at}.protocol`, port.protocol, ['SCTP', 'TCP', 'UDP']);
    }
  });
  validateLabels(c, 'spec.selector', spec.selector);
}

/** The key each typed Secret must hold, checked as JSON for the Docker config types. */
const SECRET_KEYS: Record<string, { key: string; json: boolean }> = {
  'kubernetes.io/dockerconfigjson': { key: '.dockerconfigjson', json: true },
  'kubernetes.io/dockercfg': { key: '.dockercfg', json: true },
};

/** Required keys of typed Secrets (ValidateSecret); the contents never go in a message. */
function validateSecretData(c: Causes, secret: JsonObject): void {
  const rule = SECRET_KEYS[String(secret.type ?? '')];
  if (!rule) return;
  const data = isObject(secret.data) ? secret.data : {};
  const field = `data[${rule.key}]`;
  const value = data[rule.key];
  if (typeof value !== 'string') {
    c.required(field);
    return;
  }
  const problem = goJsonObjectError(Buffer.from(value, 'base64').toString('utf8'));
  if (problem) c.invalid(field, '<secret contents redacted>', problem);
}

/** Why Go's json.Unmarshal into a map refuses `text`, in its words, or undefined. */
function goJsonObjectError(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const trimmed = text.trim();
    if (trimmed === '') return 'unexpected end of JSON input';
    const first = trimmed[0]!;
    if (!'{["-0123456789tfn'.includes(first)) return `invalid character '${first}' looking for beginning of value`;
    return 'invalid JSON';
  }
  if (parsed === null || isObject(parsed)) return undefined;
  const kind = Array.isArray(parsed) ? 'array' : typeof parsed === 'boolean' ? 'bool' : typeof parsed;
  return `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`;
}

/** Kinds whose rules in validateObject (besides metadata) read nothing but `spec` and the old `spec`. */
const SPEC_ONLY_RULES = new Set(['Pod', 'Deployment', 'ReplicaSet', 'Job', 'Service']);

/** Validates an object on create (`old` undefined) or update; returns the causes. */
export function validateObject(type: ResourceType, obj: KubeObject, old?: KubeObject): StatusCause[] {
  const c = new Causes();
  validateObjectMeta(c, type, obj.metadata as JsonObject);
  const spec = isObject(obj.spec) ? obj.spec : {};
  const oldSpec = old && isObject(old.spec) ? old.spec : undefined;
  // A spec that is the stored version's own object (a status write, a label change) was validated
  // when stored, and the rules below read only the spec and the old spec: they hold again.
  if (oldSpec !== undefined && obj.spec === oldSpec && SPEC_ONLY_RULES.has(type.kind)) return c.list;
  switch (type.kind) {
    case 'Pod':
      validatePodSpec(c, 'spec', obj.spec, ['Always', 'OnFailure', 'Never'], true);
      break;
    case 'Deployment':
    case 'ReplicaSet':
      validateReplicas(c, spec);
      validateSelectorMatchesTemplate(c, spec, true);
      validatePodSpec(c, 'spec.template.spec', isObject(spec.template) ? spec.template.spec : undefined, ['Always']);
      if (type.kind === 'Deployment' && isObject(spec.strategy)) {
        const strategyType = spec.strategy.type;
        if (strategyType !== undefined && !['Recreate', 'RollingUpdate'].includes(String(strategyType))) {
          c.unsupported('spec.strategy.type', strategyType, ['Recreate', 'RollingUpdate']);
        }
        if (strategyType === 'Recreate' && spec.strategy.rollingUpdate !== undefined && spec.strategy.rollingUpdate !== null) {
          c.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'");
        }
      }
      if (oldSpec && !jsonEqual(oldSpec.selector, spec.selector)) c.invalid('spec.selector', spec.selector, 'field is immutable');
      break;
    case 'Job':
      validatePodSpec(c, 'spec.template.spec', isObject(spec.template) ? spec.template.spec : undefined, ['OnFailure', 'Never']);
      if (isObject(spec.template) && isObject(spec.template.spec) && spec.template.spec.restartPolicy === undefined) {
        c.required('spec.template.spec.restartPolicy', 'valid values: "OnFailure", "Never"');
      }
      for (const f of ['backoffLimit', 'completions', 'parallelism']) {
        if (spec[f] !== undefined && spec[f] !== null && (typeof spec[f] !== 'number' || (spec[f] as number) < 0)) {
          c.invalid(`spec.${f}`, spec[f], 'must be greater than or equal to 0');
        }
      }
      if (oldSpec && !jsonEqual(oldSpec.template, spec.template)) c.invalid('spec.template', spec.template, 'field is immutable');
      if (oldSpec && !jsonEqual(oldSpec.selector, spec.selector)) c.invalid('spec.selector', spec.selector, 'field is immutable');
      break;
    case 'Secret':
      validateSecretData(c, obj as unknown as JsonObject);
      break;
    case 'Service':
      validateService(c, spec);
      if (oldSpec && oldSpec.clusterIP !== undefined && spec.clusterIP !== oldSpec.clusterIP) {
        c.invalid('spec.clusterIP', spec.clusterIP ?? '', 'field is immutable');
      }
      break;
  }
  return c.list;
}
