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
}

export const DEFAULT_OPTIONS: TranslateOptions = {
  namespace: 'default',
  deviceId: 'edge-device',
  hubHostname: 'localhost',
  portBindingServiceType: 'LoadBalancer',
  volumeBinding: 'dynamic',
  volumeSize: '1Gi',
};

export function withDefaults(options: Partial<TranslateOptions> = {}): TranslateOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_OPTIONS, ...defined };
}
