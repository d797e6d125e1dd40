/**
 * assertValidK8s(objects): checks objects the way the Kubernetes API server would, so the
 * cluster will not reject them. Three layers:
 * 1. the OpenAPI-derived JSON schema of each kind (`kubernetes-models`: types, enums, formats);
 * 2. no unknown fields (strict field validation), using the field tables of the generated
 *    models in @kubernetes/client-node;
 * 3. the API server's semantic rules the schema does not express: names (DNS-1123/1035),
 *    label and annotation keys and values, port names, unique names and ports, selectors that
 *    match the template, mounts that refer to volumes, requests <= limits, restart policies.
 */
import * as k8s from '@kubernetes/client-node';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { isIP } from 'node:net';

type Obj = Record<string, unknown>;
interface Validatable {
  validate(): void;
}

const MODELS: Record<string, { model: new (data: never) => Validatable; type: string }> = {
  'apps/v1/Deployment': { model: Deployment as never, type: 'V1Deployment' },
  'batch/v1/Job': { model: Job as never, type: 'V1Job' },
  'v1/PersistentVolumeClaim': { model: PersistentVolumeClaim as never, type: 'V1PersistentVolumeClaim' },
  'v1/Secret': { model: Secret as never, type: 'V1Secret' },
  'v1/Service': { model: Service as never, type: 'V1Service' },
  'v1/ServiceAccount': { model: ServiceAccount as never, type: 'V1ServiceAccount' },
  'v1/ConfigMap': { model: ConfigMap as never, type: 'V1ConfigMap' },
  'v1/Namespace': { model: Namespace as never, type: 'V1Namespace' },
};

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const isLabel = (s: string): boolean => s.length <= 63 && DNS1123_LABEL.test(s);
const isLabel1035 = (s: string): boolean => s.length <= 63 && DNS1035_LABEL.test(s);
const isSubdomain = (s: string): boolean => s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
const isPortName = (s: string): boolean => s.length <= 15 && DNS1123_LABEL.test(s) && /[a-z]/.test(s) && !s.includes('--');

function isQualifiedName(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && !isSubdomain(prefix)) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

function quantity(q: unknown): number | undefined {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string' || !QUANTITY.test(q)) return undefined;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(.*)$/.exec(q)!;
  const mult: Record<string, number> = {
    '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  };
  const suffix = m[2]!;
  return /^[eE]/.test(suffix) ? Number(m[1]) * 10 ** Number(suffix.slice(1)) : Number(m[1]) * mult[suffix]!;
}

const asObj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asList = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** Unknown fields, found by walking the generated model field tables of @kubernetes/client-node. */
function unknownFields(value: unknown, type: string, path: string, out: string[]): void {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(v, array[1]!, `${path}/${i}`, out));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    for (const [k, v] of Object.entries(asObj(value))) unknownFields(v, map[1]!, `${path}/${k}`, out);
    return;
  }
  const cls = (k8s as unknown as Record<string, { getAttributeTypeMap?: () => { baseName: string; type: string }[] }>)[type];
  if (!cls?.getAttributeTypeMap || value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const fields = new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    const fieldType = fields.get(k);
    if (fieldType === undefined) out.push(`${path}/${k}: unknown field (not in ${type})`);
    else unknownFields(v, fieldType, `${path}/${k}`, out);
  }
}

function checkMetadata(obj: Obj, out: string[]): void {
  const meta = asObj(obj.metadata);
  const name = String(meta.name ?? '');
  const nameOk = obj.kind === 'Service' || obj.kind === 'Namespace' ? isLabel1035(name) || (obj.kind === 'Namespace' && isLabel(name)) : isSubdomain(name);
  if (!nameOk) out.push(`metadata.name '${name}' is not a valid ${obj.kind} name`);
  if (meta.namespace !== undefined && !isLabel(String(meta.namespace))) out.push(`metadata.namespace '${String(meta.namespace)}' is not a DNS-1123 label`);
  checkLabels(asObj(meta.labels), 'metadata.labels', out);
  for (const key of Object.keys(asObj(meta.annotations)))
    if (!isQualifiedName(key)) out.push(`metadata.annotations key '${key}' is not a qualified name`);
}

function checkLabels(labels: Obj, where: string, out: string[]): void {
  for (const [k, v] of Object.entries(labels)) {
    if (!isQualifiedName(k)) out.push(`${where} key '${k}' is not a qualified name`);
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) out.push(`${where}['${k}'] value ${JSON.stringify(v)} is not a valid label value`);
  }
}

function checkResources(resources: Obj, where: string, out: string[]): void {
  const limits = asObj(resources.limits);
  const requests = asObj(resources.requests);
  for (const [k, v] of [...Object.entries(limits), ...Object.entries(requests)])
    if (quantity(v) === undefined || quantity(v)! < 0) out.push(`${where} ${k} ${JSON.stringify(v)} is not a quantity`);
  for (const [k, v] of Object.entries(requests)) {
    const l = limits[k];
    const isExtended = k.includes('/');
    if (l === undefined) {
      if (isExtended) out.push(`${where} extended resource ${k} has a request but no limit`);
    } else if (isExtended ? quantity(v) !== quantity(l) : quantity(v)! > quantity(l)!)
      out.push(`${where} ${k} request ${String(v)} does not fit limit ${String(l)}`);
  }
}

function checkPodSpec(spec: Obj, where: string, out: string[]): void {
  const volumes = asList(spec.volumes);
  const volumeNames = new Set<string>();
  for (const v of volumes) {
    const n = String(v.name);
    if (!isLabel(n)) out.push(`${where}.volumes name '${n}' is not a DNS-1123 label`);
    if (volumeNames.has(n)) out.push(`${where}.volumes name '${n}' is duplicated`);
    volumeNames.add(n);
    const sources = Object.keys(v).filter((k) => k !== 'name');
    if (sources.length !== 1) out.push(`${where}.volumes '${n}' must have exactly one source, has ${sources.join(', ') || 'none'}`);
    const claim = asObj(v.persistentVolumeClaim);
    if (v.persistentVolumeClaim !== undefined && !isSubdomain(String(claim.claimName))) out.push(`${where}.volumes '${n}' claimName is invalid`);
  }
  const containers = asList(spec.containers);
  if (containers.length === 0) out.push(`${where}.containers is empty`);
  const containerNames = new Set<string>();
  const portNames = new Set<string>();
  for (const c of containers) {
    const cn = String(c.name);
    if (!isLabel(cn)) out.push(`${where}.containers name '${cn}' is not a DNS-1123 label`);
    if (containerNames.has(cn)) out.push(`${where}.containers name '${cn}' is duplicated`);
    containerNames.add(cn);
    if (typeof c.image !== 'string' || c.image.trim() === '') out.push(`${where}.containers '${cn}' has no image`);
    const cw = `${where}.containers[${cn}]`;
    const seenPorts = new Set<string>();
    for (const p of asList(c.ports)) {
      const port = Number(p.containerPort);
      if (!(port >= 1 && port <= 65535)) out.push(`${cw} containerPort ${port} is out of range`);
      const key = `${String(p.protocol ?? 'TCP')}/${port}`;
      if (seenPorts.has(key)) out.push(`${cw} port ${key} is duplicated`);
      seenPorts.add(key);
      if (p.name !== undefined) {
        if (!isPortName(String(p.name))) out.push(`${cw} port name '${String(p.name)}' is not an IANA_SVC_NAME`);
        if (portNames.has(String(p.name))) out.push(`${cw} port name '${String(p.name)}' is duplicated in the pod`);
        portNames.add(String(p.name));
      }
    }
    const envNames = new Set<string>();
    for (const e of asList(c.env)) {
      const en = String(e.name);
      if (!ENV_NAME.test(en)) out.push(`${cw} env name '${en}' is invalid`);
      if (envNames.has(en)) out.push(`${cw} env name '${en}' is duplicated`);
      envNames.add(en);
    }
    const mountPaths = new Set<string>();
    for (const m of asList(c.volumeMounts)) {
      if (!volumeNames.has(String(m.name))) out.push(`${cw} volumeMount '${String(m.name)}' refers to no volume`);
      const mp = String(m.mountPath);
      if (!mp.startsWith('/')) out.push(`${cw} mountPath '${mp}' is not absolute`);
      if (mountPaths.has(mp)) out.push(`${cw} mountPath '${mp}' is duplicated`);
      mountPaths.add(mp);
    }
    checkResources(asObj(c.resources), `${cw}.resources`, out);
    const sc = asObj(c.securityContext);
    if (sc.privileged === true && sc.allowPrivilegeEscalation === false) out.push(`${cw} privileged with allowPrivilegeEscalation false`);
    const probe = asObj(c.livenessProbe);
    if (c.livenessProbe !== undefined) {
      const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((h) => probe[h] !== undefined);
      if (handlers.length !== 1) out.push(`${cw} livenessProbe must have exactly one handler`);
      for (const f of ['periodSeconds', 'timeoutSeconds', 'failureThreshold'])
        if (probe[f] !== undefined && !(Number(probe[f]) >= 1)) out.push(`${cw} livenessProbe ${f} must be >= 1`);
    }
  }
  if (spec.serviceAccountName !== undefined && !isSubdomain(String(spec.serviceAccountName))) out.push(`${where}.serviceAccountName is invalid`);
  if (spec.hostname !== undefined && !isLabel(String(spec.hostname))) out.push(`${where}.hostname '${String(spec.hostname)}' is not a DNS-1123 label`);
  for (const s of asList(spec.imagePullSecrets)) if (!isSubdomain(String(s.name))) out.push(`${where}.imagePullSecrets name '${String(s.name)}' is invalid`);
  for (const a of asList(spec.hostAliases)) if (!isIP(String(a.ip))) out.push(`${where}.hostAliases ip '${String(a.ip)}' is not an IP`);
  const dns = asObj(spec.dnsConfig);
  const nameservers = asList(dns.nameservers) as unknown as string[];
  if (nameservers.length > 3) out.push(`${where}.dnsConfig has more than 3 nameservers`);
  for (const n of nameservers) if (!isIP(String(n))) out.push(`${where}.dnsConfig nameserver '${String(n)}' is not an IP`);
  if (spec.dnsPolicy === 'None' && nameservers.length === 0) out.push(`${where}.dnsPolicy None needs dnsConfig.nameservers`);
  if (spec.terminationGracePeriodSeconds !== undefined && Number(spec.terminationGracePeriodSeconds) < 0)
    out.push(`${where}.terminationGracePeriodSeconds is negative`);
  checkLabels(asObj(spec.nodeSelector), `${where}.nodeSelector`, out);
}

function checkTemplate(template: Obj, where: string, allowedRestart: string[], out: string[]): void {
  const meta = asObj(template.metadata);
  checkLabels(asObj(meta.labels), `${where}.metadata.labels`, out);
  for (const key of Object.keys(asObj(meta.annotations))) if (!isQualifiedName(key)) out.push(`${where}.metadata.annotations key '${key}' is invalid`);
  const spec = asObj(template.spec);
  const restart = String(spec.restartPolicy ?? 'Always');
  if (!allowedRestart.includes(restart)) out.push(`${where}.spec.restartPolicy ${restart} is not one of ${allowedRestart.join(', ')}`);
  checkPodSpec(spec, `${where}.spec`, out);
}

function checkKind(obj: Obj, out: string[]): void {
  const spec = asObj(obj.spec);
  switch (obj.kind) {
    case 'Deployment': {
      const template = asObj(spec.template);
      const labels = asObj(asObj(template.metadata).labels);
      const match = asObj(asObj(spec.selector).matchLabels);
      if (Object.keys(match).length === 0) out.push('spec.selector.matchLabels is empty');
      for (const [k, v] of Object.entries(match)) if (labels[k] !== v) out.push(`spec.selector ${k}=${String(v)} does not match the template labels`);
      const strategy = asObj(spec.strategy);
      if (strategy.type === 'Recreate' && strategy.rollingUpdate !== undefined) out.push('spec.strategy Recreate with rollingUpdate');
      if (Number(spec.replicas ?? 1) < 0) out.push('spec.replicas is negative');
      checkTemplate(template, 'spec.template', ['Always'], out);
      break;
    }
    case 'Job':
      if (spec.selector !== undefined) out.push('spec.selector must be left to the Job controller');
      if (Number(spec.backoffLimit ?? 6) < 0) out.push('spec.backoffLimit is negative');
      checkTemplate(asObj(spec.template), 'spec.template', ['OnFailure', 'Never'], out);
      break;
    case 'Service': {
      const ports = asList(spec.ports);
      const names = new Set<string>();
      const keys = new Set<string>();
      for (const p of ports) {
        if (ports.length > 1 && p.name === undefined) out.push('spec.ports: every port needs a name when there are several');
        if (p.name !== undefined) {
          if (!isPortName(String(p.name))) out.push(`spec.ports name '${String(p.name)}' is not an IANA_SVC_NAME`);
          if (names.has(String(p.name))) out.push(`spec.ports name '${String(p.name)}' is duplicated`);
          names.add(String(p.name));
        }
        const key = `${String(p.protocol ?? 'TCP')}/${String(p.port)}`;
        if (keys.has(key)) out.push(`spec.ports ${key} is duplicated`);
        keys.add(key);
        if (!(Number(p.port) >= 1 && Number(p.port) <= 65535)) out.push(`spec.ports port ${String(p.port)} is out of range`);
        if (typeof p.targetPort === 'number' && !(p.targetPort >= 1 && p.targetPort <= 65535)) out.push(`spec.ports targetPort ${p.targetPort} is out of range`);
      }
      // As the API server: a headless Service (clusterIP None) may list no ports, and its targetPort must equal its port.
      const headless = spec.clusterIP === 'None';
      if (ports.length === 0 && spec.type !== 'ExternalName' && !headless) out.push('spec.ports is empty');
      if (headless) for (const p of ports) if (typeof p.targetPort === 'number' && p.targetPort !== p.port) out.push(`spec.ports targetPort ${p.targetPort} must equal port ${String(p.port)} when clusterIP is None`);
      checkLabels(asObj(spec.selector), 'spec.selector', out);
      if (spec.loadBalancerIP !== undefined && spec.type !== 'LoadBalancer') out.push('spec.loadBalancerIP needs type LoadBalancer');
      break;
    }
    case 'PersistentVolumeClaim': {
      if (asList(spec.accessModes).length === 0) out.push('spec.accessModes is empty');
      const storage = asObj(asObj(spec.resources).requests).storage;
      if (quantity(storage) === undefined || quantity(storage)! <= 0) out.push(`spec.resources.requests.storage ${JSON.stringify(storage)} is not a positive quantity`);
      if (spec.volumeName !== undefined && !isSubdomain(String(spec.volumeName))) out.push('spec.volumeName is invalid');
      break;
    }
    case 'Secret': {
      const data = asObj(obj.data);
      for (const [k, v] of Object.entries(data)) {
        if (!/^[-._a-zA-Z0-9]+$/.test(k)) out.push(`data key '${k}' is invalid`);
        if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) out.push(`data['${k}'] is not base64`);
      }
      if (obj.type === 'kubernetes.io/dockerconfigjson') {
        const text = typeof data['.dockerconfigjson'] === 'string' ? Buffer.from(data['.dockerconfigjson'], 'base64').toString('utf8') : '';
        try {
          const parsed = JSON.parse(text) as unknown;
          if (typeof asObj(parsed).auths !== 'object') out.push("data['.dockerconfigjson'] has no auths");
        } catch {
          out.push("data['.dockerconfigjson'] is not JSON");
        }
      }
      break;
    }
  }
}

/** The problems of one object, as "Kind/name: message" strings; empty when it is valid. */
export function k8sProblems(object: unknown): string[] {
  const obj = asObj(object);
  const id = `${String(obj.kind)}/${String(asObj(obj.metadata).name)}`;
  const entry = MODELS[`${String(obj.apiVersion)}/${String(obj.kind)}`];
  if (!entry) return [`${id}: no schema for apiVersion ${String(obj.apiVersion)} kind ${String(obj.kind)}`];
  const out: string[] = [];
  try {
    new entry.model(obj as never).validate();
  } catch (e) {
    out.push(`schema: ${(e as Error).message}`);
  }
  unknownFields(obj, entry.type, '', out);
  checkMetadata(obj, out);
  checkKind(obj, out);
  return out.map((m) => `${id}: ${m}`);
}

/** Throws an Error listing every problem of every object; returns when all are valid. */
export function assertValidK8s(objects: readonly unknown[]): void {
  const problems = objects.flatMap((o) => k8sProblems(o));
  const seen = new Set<string>();
  for (const o of objects) {
    const obj = asObj(o);
    const key = `${String(obj.kind)}/${String(asObj(obj.metadata).namespace)}/${String(asObj(obj.metadata).name)}`;
    if (seen.has(key)) problems.push(`${key}: duplicated object`);
    seen.add(key);
  }
  if (problems.length > 0) throw new Error(`invalid Kubernetes objects:\n${problems.join('\n')}`);
}
