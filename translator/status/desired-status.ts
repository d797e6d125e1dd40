/**
 * `lastDesiredVersion` and `lastDesiredStatus` as edgeAgent reports them: 406 until a
 * deployment arrives; an invalid deployment at once (400, 412, 417); a valid one once a
 * reconcile of it ends, 200 when applied or the cluster's refusal; never in place of a newer
 * rejected one. A reconcile that will be retried reports nothing yet.
 */
import type { DesiredStatus } from './reported-types.js';

export class DesiredStatusTracker {
  private version = 0;
  private status: DesiredStatus = { code: 406, description: 'no deployment received yet' };

  get current(): { version: number; status: DesiredStatus } {
    return { version: this.version, status: this.status };
  }

  /** `version` was refused before it reached the cluster. */
  rejected(version: number, status: DesiredStatus): void {
    this.version = version;
    this.status = status;
  }

  /** A reconcile of `version` ended with `status` (200 when applied), or `'retry'`. */
  reconciled(version: number | undefined, status: DesiredStatus | 'retry'): void {
    if (version === undefined || version < this.version || status === 'retry') return;
    this.version = version;
    this.status = status;
  }
}
