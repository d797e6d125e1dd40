/**
 * translator/reconcile: applies translated objects to the device namespace (server-side
 * apply, startupOrder groups, pruning, Job replacement), keeps an informer cache of the namespace and
 * schedules level-triggered reconciles. See docs/reconcile.md.
 */
export type { DesiredDeployment, ReconcileOutcome, ReconcilerOptions, ReconcileLog } from './types.js';
export { Reconciler, DEFAULT_FIELD_MANAGER, DEFAULT_STARTUP_GROUP_TIMEOUT_MS, type ReconcileHooks } from './reconciler.js';
export { InformerCache, relevantChange, type InformerCacheOptions, type CacheEvent } from './informer.js';
export { scheduleReconciles, DEFAULT_RESYNC_MS, type ScheduleOptions, type ReconcileRun, type RunCause } from './schedule.js';
export { KubeApiError, KubeConnectionError, toKubeError, type KubeError } from './errors.js';
export { APPLIED_HASH_ANNOTATION, withHashAnnotation } from './compare.js';
export { LAST_GOOD_SECRET, LAST_GOOD_KEY, LastGoodError, decodeLastGood, type LastGood } from './last-good.js';
export { LastGoodKeeper, type LastGoodStore, type KeptDeployment } from './last-good-keeper.js';
export { planReconcile, type Plan, type StartupGroup, type WriteAction } from './plan.js';
