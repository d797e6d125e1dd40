/**
 * A {@link LeaseStore} on the Kubernetes API: the `coordination.k8s.io/v1` Lease `name` in the
 * device namespace, read with GET, created with POST and renewed with PUT carrying the
 * resourceVersion it was read at (a 409 is a lost race, not an error). The RBAC this needs is
 * `get`, `create` and `update` on `leases` (what `iotedge-k8s install` grants).
 *
 * A store given `startedAt` (the bridge's start time, what it reports as edgeAgent's
 * `lastStartTimeUtc`) writes it into the annotation {@link STARTED_AT_ANNOTATION} on every write;
 * a store without removes it, so the annotation always describes the Lease's last writer.
 */
import type { V1Lease } from '@kubernetes/client-node';
import { CoordinationV1Api, V1MicroTime, type KubeConfig } from '../kube/index.js';
import { KubeApiError, toKubeError } from '../reconcile/index.js';
import type { LeaseRecord, LeaseStore, StoredLease } from './lease.js';

/** The Lease's name: the same as the bridge's ServiceAccount and Deployment. */
export const LEASE_NAME = 'iotedge-k8s';

/** The start time of the bridge that last wrote the Lease (edgeAgent's `lastStartTimeUtc`, RFC 3339). */
export const STARTED_AT_ANNOTATION = 'iotedge-k8s/started-at';

/** The API's MicroTime (six fractional digits), as the API server requires for Lease times. */
function microTime(value: string | undefined): V1MicroTime | undefined {
  return value === undefined ? undefined : new V1MicroTime(value);
}

/** What the client returns for a MicroTime: a Date or the string it was sent as. */
function timeText(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : undefined;
}

function stored(lease: V1Lease): StoredLease {
  const spec = lease.spec ?? {};
  const startedAt = lease.metadata?.annotations?.[STARTED_AT_ANNOTATION];
  return {
    ...(startedAt ? { startedAt } : {}),
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    record: {
      holderIdentity: spec.holderIdentity ?? '',
      leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
      acquireTime: timeText(spec.acquireTime),
      renewTime: timeText(spec.renewTime),
      leaseTransitions: spec.leaseTransitions ?? 0,
    },
  };
}

export class KubeLeaseStore implements LeaseStore {
  private readonly api: CoordinationV1Api;
  /** Metadata of the last Lease read, kept on update (labels, annotations someone else set). */
  private readonly metadata = new Map<string, V1Lease['metadata']>();
  readonly description: string;

  constructor(
    kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly name = LEASE_NAME,
    private readonly options: { startedAt?: string } = {},
  ) {
    this.api = new CoordinationV1Api(kubeConfig);
    this.description = `Lease ${namespace}/${name}`;
  }

  async get(): Promise<StoredLease | undefined> {
    try {
      return this.keep(await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace }));
    } catch (e) {
      const error = toKubeError(e, `get ${this.description}`);
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async create(record: LeaseRecord): Promise<StoredLease | 'conflict'> {
    return this.write(`create ${this.description}`, () =>
      this.api.createNamespacedLease({ namespace: this.namespace, body: this.body(record, { name: this.name, namespace: this.namespace }) }),
    );
  }

  async update(record: LeaseRecord, basis: StoredLease): Promise<StoredLease | 'conflict'> {
    const metadata = { ...(this.metadata.get(basis.resourceVersion) ?? {}), name: this.name, namespace: this.namespace, resourceVersion: basis.resourceVersion };
    return this.write(`update ${this.description}`, () => this.api.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body: this.body(record, metadata) }));
  }

  private body(record: LeaseRecord, metadata: V1Lease['metadata']): V1Lease {
    const { [STARTED_AT_ANNOTATION]: _previous, ...others } = metadata?.annotations ?? {};
    const annotations = this.options.startedAt ? { ...others, [STARTED_AT_ANNOTATION]: this.options.startedAt } : others;
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...metadata, ...(Object.keys(annotations).length > 0 || metadata?.annotations ? { annotations } : {}) },
      spec: {
        holderIdentity: record.holderIdentity,
        leaseDurationSeconds: record.leaseDurationSeconds,
        acquireTime: microTime(record.acquireTime),
        renewTime: microTime(record.renewTime),
        leaseTransitions: record.leaseTransitions,
      },
    };
  }

  private async write(operation: string, call: () => Promise<V1Lease>): Promise<StoredLease | 'conflict'> {
    try {
      return this.keep(await call());
    } catch (e) {
      const error = toKubeError(e, operation);
      if (error instanceof KubeApiError && error.status === 409) return 'conflict';
      throw error;
    }
  }

  private keep(lease: V1Lease): StoredLease {
    const s = stored(lease);
    this.metadata.clear();
    const { managedFields: _managed, ...metadata } = lease.metadata ?? {};
    this.metadata.set(s.resourceVersion, metadata);
    return s;
  }
}
