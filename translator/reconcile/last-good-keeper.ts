/**
 * The last good deployment policy: the model of the newest deployment that reconciled cleanly
 * is kept in the cluster (Secret `iotedge-k8s-last-good`), written only when what it holds differs
 * from the cache's copy (a new model, or a Secret someone deleted), and a
 * bridge that starts runs it until a new deployment arrives, with or without IoT Hub.
 */
import type { DeploymentModel, ModuleModel } from '../manifest/index.js';
import type { LastGood } from './last-good.js';
import type { ReconcileLog } from './types.js';

/** Where the last good deployment is kept (the {@link Reconciler} implements it). */
export interface LastGoodStore {
  loadLastGood(): Promise<LastGood | undefined>;
  /** Writes unless the stored model is already `value`'s; true when it wrote. */
  saveLastGood(value: LastGood): Promise<boolean>;
}

/** A deployment the bridge can run again: its version and model. */
export interface KeptDeployment {
  version: number;
  model: DeploymentModel;
}

export class LastGoodKeeper {
  /** The newest deployment known to have applied (restored, or confirmed after a clean reconcile). */
  private good: KeptDeployment | undefined;

  constructor(
    private readonly store: LastGoodStore,
    private readonly log: ReconcileLog = () => undefined,
  ) {}

  /** The kept deployment, to run until a new one arrives; undefined when there is none or it cannot be read (logged). */
  async restore(): Promise<KeptDeployment | undefined> {
    const lastGood = await this.store.loadLastGood().catch((e: unknown) => {
      this.log('warn', 'the last good deployment could not be read; starting without it', { error: (e as Error).message });
      return undefined;
    });
    if (!lastGood || !isModelBackup(lastGood.manifest)) return undefined;
    this.log('info', 'running the last good deployment until a new one arrives', { version: lastGood.version });
    this.good = { version: lastGood.version, model: lastGood.manifest.model };
    return this.good;
  }

  /** `deployment` reconciled cleanly: the one {@link revert} puts back. */
  confirm(deployment: KeptDeployment): void {
    this.good = deployment;
  }

  /**
   * The Secret was written (with the last writes) for a deployment whose reconcile then failed:
   * writes the last confirmed one back. True when it wrote; false when there is none (a first
   * deployment that did not apply stays stored: nothing ran before it).
   */
  async revert(): Promise<boolean> {
    if (!this.good) return false;
    return this.keep(this.good);
  }

  /** Keeps `deployment` (just reconciled cleanly) unless the store already holds its model; true when it wrote. */
  keep(deployment: KeptDeployment): Promise<boolean> {
    return this.store.saveLastGood({ version: deployment.version, manifest: { model: storedModel(deployment.model) } });
  }
}

/**
 * The model as the Secret keeps it: without the modules' `createOptionsLength`, which follows the
 * spacing of the createOptions text, not what runs (a push that only re-spaces it must write
 * nothing). A restored module without it has its size bound found by a walk of its options.
 */
function storedModel(model: DeploymentModel): DeploymentModel {
  const stored = { ...model, edgeAgent: withoutTextLength(model.edgeAgent), modules: model.modules.map(withoutTextLength) };
  if (model.edgeHub) stored.edgeHub = withoutTextLength(model.edgeHub);
  return stored;
}

function withoutTextLength(module: ModuleModel): ModuleModel {
  if (module.createOptionsLength === undefined) return module;
  const copy = { ...module };
  delete copy.createOptionsLength;
  return copy;
}

function isModelBackup(value: unknown): value is { model: DeploymentModel } {
  return typeof value === 'object' && value !== null && 'model' in value && typeof (value as { model: unknown }).model === 'object';
}
