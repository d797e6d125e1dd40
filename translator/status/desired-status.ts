/**
 * `lastDesiredVersion` and `lastDesiredStatus` as edgeAgent reports them: 406 until a
 * deployment arrives; an invalid deployment at once (400, 412, 417); a deployment the cluster
 * refused once its reconcile ends (the API's code); an applied one once every module of it was
 * created (200), or 500 naming the modules that cannot be ({@link versionProgress}), as edgeAgent
 * reports a version once its plan ran. Never in place of a newer rejected one. A reconcile that
 * will be retried reports nothing yet.
 */
import type { DeploymentModel } from '../manifest/index.js';
import type { ObservedObjects } from './observed.js';
import type { DesiredStatus } from './reported-types.js';
import { versionProgress } from './version-status.js';

export class DesiredStatusTracker {
  private version = 0;
  private status: DesiredStatus = { code: 406, description: 'no deployment received yet' };
  /** The version a reconcile applied, reported once {@link settle} sees its modules created. */
  private applied: number | undefined;

  get current(): { version: number; status: DesiredStatus } {
    return { version: this.version, status: this.status };
  }

  /** `version` was refused before it reached the cluster. */
  rejected(version: number, status: DesiredStatus): void {
    this.version = version;
    this.status = status;
  }

  /** A reconcile of `version` applied it, was refused with `status`, or will be retried. */
  reconciled(version: number | undefined, outcome: 'applied' | 'retry' | DesiredStatus): void {
    if (version === undefined || version < this.version || outcome === 'retry') return;
    if (outcome === 'applied') {
      this.applied = version;
      return;
    }
    this.applied = undefined;
    this.version = version;
    this.status = outcome;
  }

  /**
   * True while an applied version waits for {@link settle} to report it, or is reported with a
   * failure that a later look at the cluster may change (500 -> 200): then every observed change
   * is worth a {@link settle}, not only the throttled ones.
   */
  get awaiting(): boolean {
    const applied = this.applied;
    if (applied === undefined || applied < this.version) return false;
    return applied > this.version || this.status.code !== 200;
  }

  /**
   * Reports the applied version once the cluster shows where its modules stand. Returns what
   * still holds it back (for the logs), or undefined when there is nothing to settle.
   */
  settle(deployment: { version: number; model: DeploymentModel }, observed: ObservedObjects): string | undefined {
    const applied = this.applied;
    if (applied === undefined || deployment.version !== applied || applied < this.version) return undefined;
    const progress = versionProgress(deployment.model, observed);
    if (progress.kind === 'pending') return progress.reason;
    this.version = applied;
    this.status = progress.kind === 'created' ? { code: 200, description: '' } : progress.status;
    return undefined;
  }
}
