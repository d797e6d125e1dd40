/** Options of a translation. Every field has a default so `translate(model)` works. */
export type ServiceType = 'LoadBalancer' | 'ClusterIP' | 'NodePort';

/**
 * How a `Mounts` entry of type `volume` becomes storage.
 * - `dynamic`: a PersistentVolumeClaim named after the source, provisioned by `storageClassName`
 *   (the cluster default when unset).
 * - `pre-provisioned`: the claim binds to a pre-made PersistentVolume of the same name, with
 *   `storageClassName: ""`, as Azure Stack Edge shares work.
 */
export type VolumeBinding = 'dynamic' | 'pre-provisioned';

import { POD_SECURITY_LEVELS, type PodSecurityLevel } from './pod-security.js';
import { setOwn } from '../shared/index.js';
export type { PodSecurityLevel } from './pod-security.js';

export interface TranslateOptions {
  /** Namespace of every object. @default "default" */
  namespace: string;
  /** IoT Hub device id, written to labels and IOTEDGE_DEVICEID. @default "edge-device" */
  deviceId: string;
  /** IoT Hub host name, written to labels and IOTEDGE_IOTHUBHOSTNAME. @default "localhost" */
  hubHostname: string;
  /** Service type for HostConfig.PortBindings. @default "LoadBalancer" (as on Azure Stack Edge) */
  portBindingServiceType: ServiceType;
  /** @default "dynamic" */
  volumeBinding: VolumeBinding;
  /** storageClassName of dynamic claims; unset means the cluster default. */
  storageClassName?: string;
  /** Requested size of claims. @default "1Gi" */
  volumeSize: string;
  /**
   * Pod Security Standard every module must meet; a module that breaks it refuses the whole
   * deployment. @default "privileged" (real IoT Edge manifests use host-level settings)
   * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
   */
  podSecurity: PodSecurityLevel;
}

export const DEFAULT_OPTIONS: TranslateOptions = {
  namespace: 'default',
  deviceId: 'edge-device',
  hubHostname: 'localhost',
  portBindingServiceType: 'LoadBalancer',
  volumeBinding: 'dynamic',
  volumeSize: '1Gi',
  podSecurity: 'privileged',
};

export function withDefaults(options: Partial<TranslateOptions> = {}): TranslateOptions {
  const out: Record<string, unknown> = { ...DEFAULT_OPTIONS };
  // Own enumerable members, as Object.entries reads them; undefined ones keep the default.
  for (const key of Object.keys(options)) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) setOwn(out, key, value);
  }
  return out as unknown as TranslateOptions;
}

const SERVICE_TYPES: readonly ServiceType[] = ['LoadBalancer', 'ClusterIP', 'NodePort'];
const VOLUME_BINDINGS: readonly VolumeBinding[] = ['dynamic', 'pre-provisioned'];
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const STORAGE_QUANTITY = /^(\d+(\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;

/** Problems with the options themselves, as messages naming the option and its value. */
export function optionProblems(options: TranslateOptions): string[] {
  const problems: string[] = [];
  const str = (v: unknown): string => JSON.stringify(v);
  if (typeof options.namespace !== 'string' || options.namespace.length > 63 || !DNS1123_LABEL.test(options.namespace))
    problems.push(`option 'namespace' (${str(options.namespace)}) must be a DNS-1123 label`);
  if (typeof options.deviceId !== 'string' || options.deviceId === '') problems.push(`option 'deviceId' (${str(options.deviceId)}) must be a non-empty string`);
  if (typeof options.hubHostname !== 'string' || options.hubHostname === '')
    problems.push(`option 'hubHostname' (${str(options.hubHostname)}) must be a non-empty string`);
  if (!SERVICE_TYPES.includes(options.portBindingServiceType))
    problems.push(`option 'portBindingServiceType' (${str(options.portBindingServiceType)}) must be one of ${SERVICE_TYPES.join(', ')}`);
  if (!VOLUME_BINDINGS.includes(options.volumeBinding))
    problems.push(`option 'volumeBinding' (${str(options.volumeBinding)}) must be one of ${VOLUME_BINDINGS.join(', ')}`);
  if (!POD_SECURITY_LEVELS.includes(options.podSecurity))
    problems.push(`option 'podSecurity' (${str(options.podSecurity)}) must be one of ${POD_SECURITY_LEVELS.join(', ')}`);
  if (typeof options.volumeSize !== 'string' || !STORAGE_QUANTITY.test(options.volumeSize))
    problems.push(`option 'volumeSize' (${str(options.volumeSize)}) must be a storage quantity such as "1Gi"`);
  if (
    options.storageClassName !== undefined &&
    (typeof options.storageClassName !== 'string' || options.storageClassName.length > 253 || !DNS1123_SUBDOMAIN.test(options.storageClassName))
  )
    problems.push(`option 'storageClassName' (${str(options.storageClassName)}) must be a DNS-1123 subdomain`);
  return problems;
}
