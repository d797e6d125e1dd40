/**
 * Credentials into Kubernetes objects (pure). Rule: every module with an identity gets a Secret
 * `<module>-iotedge-identity` with its `EdgeHubConnectionString`
 * (`HostName;DeviceId;ModuleId;SharedAccessKey;GatewayHostName`), referenced from the pod with
 * `secretKeyRef` (never a literal), plus `EdgeModuleCACertificateFile` pointing at the mounted
 * trust bundle (Secret `iotedge-k8s-trust-bundle`) and `IOTEDGE_MODULEGENERATIONID`; this is what
 * `ModuleClient.fromEnvironment()` of the Node, C# and Python SDKs reads first. edgeHub gets
 * edgeHub's connection-string mode instead (Azure/iotedge
 * edge-hub/core/src/Microsoft.Azure.Devices.Edge.Hub.Service/DependencyManager.cs and
 * EdgeHubCertificates.cs): `IotHubConnectionString` of `$edgeHub`, `EdgeHubDevServerCertificateFile`,
 * `EdgeHubDevServerPrivateKeyFile`, `EdgeHubDevTrustBundleFile` (Secret
 * `iotedge-k8s-edgehub-server`), `EdgeDeviceHostName` and `IOTEDGE_MODULEID=$edgeHub`, and never
 * `IOTEDGE_GATEWAYHOSTNAME` (edgeHub would take itself for a nested child). A pod template
 * annotation fingerprints the credential, so a rotated key, a new CA or a renewed server
 * certificate restarts the module. A module without a known identity is left as translated.
 */
import { createHash } from 'node:crypto';
import { deviceLabels, objectLabels, ORIGINAL_MODULE_ID_ANNOTATION, type KubeObject } from '../translate/index.js';
import { ConnectionStringError, formatConnectionString, parseConnectionString } from '../shared/index.js';
import type { KeyedIdentity, ModuleIdentityStatus } from './reconciler.js';

/** Name of the Secret with the trust bundle (PEM) modules verify edgeHub's certificate with. */
export const TRUST_BUNDLE_SECRET = 'iotedge-k8s-trust-bundle';
/** Name of the Secret with edgeHub's server certificate chain, key and trust bundle. */
export const EDGEHUB_SERVER_SECRET = 'iotedge-k8s-edgehub-server';
/** Its key holding the certificate chain (leaf and issuing CA). */
export const EDGEHUB_SERVER_CERT_KEY = 'server.pem';
/** Where modules find the trust bundle. */
export const TRUST_BUNDLE_DIR = '/etc/iotedge-k8s/trust-bundle';
export const TRUST_BUNDLE_FILE = `${TRUST_BUNDLE_DIR}/ca.pem`;
/** Where edgeHub finds its certificate files. */
export const EDGEHUB_CERT_DIR = '/etc/iotedge-k8s/edgehub-server';
/** Pod template annotation: a fingerprint of the module's credential (no key material can be recovered from it). */
export const CREDENTIAL_HASH_ANNOTATION = 'iotedge-k8s/credential-hash';
/** The module id of edgeHub in the manifest (`systemModules.edgeHub`). */
export const EDGEHUB_MODULE_NAME = 'edgeHub';

const TRUST_VOLUME = 'iotedge-trust-bundle';
const EDGEHUB_VOLUME = 'iotedge-edgehub-server';

/** edgeHub's TLS material (PEM). */
export interface EdgeHubTls {
  /** Server certificate followed by the CA that issued it. */
  serverCertChainPem: string;
  serverKeyPem: string;
  /** CAs edgeHub trusts for client certificates and upstream (the device trust bundle). */
  trustBundlePem: string;
}

/** Everything the credential objects are made from. */
export interface CredentialInput {
  namespace: string;
  /** HostName of the device connection string (IoT Hub host name). */
  hubHostName: string;
  deviceId: string;
  /** GatewayHostName of the modules' connection strings; on a cluster the edgeHub Service name (`edgehub`). */
  gatewayHostName: string;
  /** Identities by IoT Hub module id (`$edgeHub`, `tempSensor`), or the identity loop's report. */
  identities: ReadonlyMap<string, KeyedIdentity> | readonly ModuleIdentityStatus[];
  /** PEM modules trust for their connection to the gateway; without it modules get no EdgeModuleCACertificateFile. */
  moduleTrustBundlePem?: string;
  /** edgeHub's server certificate; without it edgeHub's pod gets no certificate settings. */
  edgeHubTls?: EdgeHubTls;
}

/** The IoT Hub module id of a module as the manifest names it: `edgeHub` is `$edgeHub`. */
export function identityIdOf(moduleName: string): string {
  return moduleName === EDGEHUB_MODULE_NAME ? '$edgeHub' : moduleName;
}

/** The module identities a deployment needs: `$edgeHub` when it has edgeHub, and every user module. */
export function desiredIdentityIds(model: { modules: readonly { name: string }[]; edgeHub?: { name: string } }): string[] {
  return [...(model.edgeHub ? ['$edgeHub'] : []), ...model.modules.map((m) => identityIdOf(m.name))];
}

function identityMap(identities: CredentialInput['identities']): ReadonlyMap<string, KeyedIdentity> {
  if (identities instanceof Map) return identities;
  const map = new Map<string, KeyedIdentity>();
  for (const s of identities as readonly ModuleIdentityStatus[]) if (s.identity) map.set(s.moduleId, s.identity);
  return map;
}

interface Workload {
  object: KubeObject;
  /** Kubernetes name of the module. */
  name: string;
  /** Module id as in the manifest. */
  moduleName: string;
  identityId: string;
}

function workloads(objects: readonly KubeObject[]): Workload[] {
  const found: Workload[] = [];
  for (const object of objects) {
    if (object.kind !== 'Deployment' && object.kind !== 'Job') continue;
    const moduleName = object.metadata.annotations?.[ORIGINAL_MODULE_ID_ANNOTATION];
    if (moduleName === undefined) continue;
    found.push({ object, name: object.metadata.name, moduleName, identityId: identityIdOf(moduleName) });
  }
  return found;
}

/**
 * The module identities whose credentials the cluster already holds: the keys in the module
 * credential Secrets (`<module>-iotedge-identity`) a bridge applied before, for this device and
 * hub only. With them a bridge that starts while IoT Hub is unreachable applies the last good
 * deployment with the credentials the modules run with, instead of taking them away. Pure; a
 * Secret that is not one of ours, or cannot be read, is passed over.
 */
export function identitiesFromSecrets(secrets: readonly unknown[], device: { hubHostName: string; deviceId: string }): KeyedIdentity[] {
  const found: KeyedIdentity[] = [];
  for (const secret of secrets) {
    const s = secret as { metadata?: { name?: string }; data?: Record<string, string> };
    if (!s.metadata?.name?.endsWith(moduleSecretName('')) || !s.data) continue;
    const encoded = s.data['EdgeHubConnectionString'] ?? s.data['IotHubConnectionString'];
    if (typeof encoded !== 'string') continue;
    try {
      const cs = parseConnectionString(Buffer.from(encoded, 'base64').toString('utf8'));
      if (cs.moduleId === undefined || cs.deviceId !== device.deviceId || cs.hostName !== device.hubHostName) continue;
      found.push({ deviceId: cs.deviceId, moduleId: cs.moduleId, generationId: '', etag: '', keys: { primaryKey: cs.sharedAccessKey, secondaryKey: '' } });
    } catch (e) {
      if (!(e instanceof ConnectionStringError)) throw e;
    }
  }
  return found;
}

/** Name of a module's credential Secret. */
export function moduleSecretName(kubeName: string): string {
  return `${kubeName}-iotedge-identity`;
}

function connectionString(input: CredentialInput, identity: KeyedIdentity, gateway: boolean): string {
  return formatConnectionString({
    hostName: input.hubHostName,
    deviceId: input.deviceId,
    moduleId: identity.moduleId,
    sharedAccessKey: identity.keys.primaryKey,
    ...(gateway ? { gatewayHostName: input.gatewayHostName } : {}),
  });
}

function secret(name: string, namespace: string, labels: Record<string, string>, data: Record<string, string>, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels, ...(annotations ? { annotations } : {}) },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])),
  };
}

function sharedLabels(input: CredentialInput, name: string): Record<string, string> {
  return objectLabels(deviceLabels(input.deviceId, input.hubHostName), name);
}

/**
 * The Secrets to apply next to the translated objects: one per module with an identity, the trust
 * bundle (when given) and edgeHub's server certificate (when given and edgeHub is deployed).
 */
export function credentialObjects(translated: readonly KubeObject[], input: CredentialInput): KubeObject[] {
  const identities = identityMap(input.identities);
  const objects: KubeObject[] = [];
  const all = workloads(translated);
  for (const w of all) {
    const identity = identities.get(w.identityId);
    if (!identity) continue;
    const isHub = w.identityId === '$edgeHub';
    const labels = { ...(w.object.metadata.labels ?? {}) };
    const key = isHub ? 'IotHubConnectionString' : 'EdgeHubConnectionString';
    objects.push(secret(moduleSecretName(w.name), input.namespace, labels, { [key]: connectionString(input, identity, !isHub) }, { [ORIGINAL_MODULE_ID_ANNOTATION]: w.moduleName }));
  }
  if (input.moduleTrustBundlePem !== undefined) {
    objects.push(secret(TRUST_BUNDLE_SECRET, input.namespace, sharedLabels(input, TRUST_BUNDLE_SECRET), { 'ca.pem': input.moduleTrustBundlePem }));
  }
  const hub = all.find((w) => w.identityId === '$edgeHub');
  if (input.edgeHubTls && hub) {
    const labels = { ...(hub.object.metadata.labels ?? {}) };
    objects.push(
      secret(EDGEHUB_SERVER_SECRET, input.namespace, labels, {
        [EDGEHUB_SERVER_CERT_KEY]: input.edgeHubTls.serverCertChainPem,
        'server.key.pem': input.edgeHubTls.serverKeyPem,
        'trust-bundle.pem': input.edgeHubTls.trustBundlePem,
      }),
    );
  }
  return objects;
}

type EnvVar = { name: string; value?: string; valueFrom?: unknown };
type PodSpec = { containers?: { env?: EnvVar[]; volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] }[]; volumes?: { name: string }[] };
type Template = { metadata?: { annotations?: Record<string, string> }; spec?: PodSpec };

function fingerprint(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}

function setEnv(env: EnvVar[], entries: readonly EnvVar[], remove: readonly string[] = []): EnvVar[] {
  const names = new Set([...entries.map((e) => e.name), ...remove]);
  return [...env.filter((e) => !names.has(e.name)), ...entries];
}

function patchTemplate(template: Template, w: Workload, input: CredentialInput, identity: KeyedIdentity): Template {
  const isHub = w.identityId === '$edgeHub';
  const secretName = moduleSecretName(w.name);
  const spec: PodSpec = { ...(template.spec ?? {}) };
  const [container, ...rest] = spec.containers ?? [];
  if (!container) return template;
  const volumes = [...(spec.volumes ?? [])];
  const mounts = [...(container.volumeMounts ?? [])];
  const env: EnvVar[] = [];
  const hashed: string[] = [connectionString(input, identity, !isHub), identity.generationId];
  const remove: string[] = [];
  if (isHub) {
    env.push({ name: 'IotHubConnectionString', valueFrom: { secretKeyRef: { name: secretName, key: 'IotHubConnectionString' } } });
    env.push({ name: 'IOTEDGE_MODULEID', value: '$edgeHub' });
    env.push({ name: 'EdgeDeviceHostName', value: input.gatewayHostName });
    remove.push('IOTEDGE_GATEWAYHOSTNAME');
    if (input.edgeHubTls) {
      env.push(
        { name: 'EdgeHubDevServerCertificateFile', value: `${EDGEHUB_CERT_DIR}/${EDGEHUB_SERVER_CERT_KEY}` },
        { name: 'EdgeHubDevServerPrivateKeyFile', value: `${EDGEHUB_CERT_DIR}/server.key.pem` },
        { name: 'EdgeHubDevTrustBundleFile', value: `${EDGEHUB_CERT_DIR}/trust-bundle.pem` },
      );
      volumes.push({ name: EDGEHUB_VOLUME, secret: { secretName: EDGEHUB_SERVER_SECRET, defaultMode: 0o440 } } as { name: string });
      mounts.push({ name: EDGEHUB_VOLUME, mountPath: EDGEHUB_CERT_DIR, readOnly: true });
      hashed.push(input.edgeHubTls.serverCertChainPem, input.edgeHubTls.trustBundlePem);
    }
  } else {
    env.push({ name: 'EdgeHubConnectionString', valueFrom: { secretKeyRef: { name: secretName, key: 'EdgeHubConnectionString' } } });
    env.push({ name: 'IOTEDGE_GATEWAYHOSTNAME', value: input.gatewayHostName });
    if (input.moduleTrustBundlePem !== undefined) {
      env.push({ name: 'EdgeModuleCACertificateFile', value: TRUST_BUNDLE_FILE });
      volumes.push({ name: TRUST_VOLUME, secret: { secretName: TRUST_BUNDLE_SECRET, defaultMode: 0o444 } } as { name: string });
      mounts.push({ name: TRUST_VOLUME, mountPath: TRUST_BUNDLE_DIR, readOnly: true });
      hashed.push(input.moduleTrustBundlePem);
    }
  }
  env.push({ name: 'IOTEDGE_MODULEGENERATIONID', value: identity.generationId });
  const annotations = { ...(template.metadata?.annotations ?? {}), [CREDENTIAL_HASH_ANNOTATION]: fingerprint(hashed) };
  return {
    ...template,
    metadata: { ...(template.metadata ?? {}), annotations },
    spec: {
      ...spec,
      containers: [{ ...container, env: setEnv(container.env ?? [], env, remove), volumeMounts: mounts }, ...rest],
      volumes,
    },
  };
}

/**
 * The translated objects with each module's pod template given its credential (see the file
 * comment). Objects of modules without a known identity, and all other objects, are returned as
 * they are. Pure: the input is not modified.
 */
export function withModuleCredentials(translated: readonly KubeObject[], input: CredentialInput): KubeObject[] {
  const identities = identityMap(input.identities);
  const byObject = new Map(workloads(translated).map((w) => [w.object, w]));
  return translated.map((object) => {
    const w = byObject.get(object);
    const identity = w ? identities.get(w.identityId) : undefined;
    if (!w || !identity) return object;
    const spec = (object.spec ?? {}) as { template?: Template };
    if (!spec.template) return object;
    return { ...object, spec: { ...spec, template: patchTemplate(spec.template, w, input, identity) } };
  });
}

/** Translated objects with credentials, plus the credential Secrets: the one call the bridge makes. */
export function withCredentials(translated: readonly KubeObject[], input: CredentialInput): KubeObject[] {
  return [...credentialObjects(translated, input), ...withModuleCredentials(translated, input)];
}
