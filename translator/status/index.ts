/** Status: Kubernetes observations -> edgeAgent reported properties (pure). */
export { moduleRuntimeStatus, newestPod, externalAddressOf, MODULE_RESTARTS_ANNOTATION } from './runtime-status.js';
export type { ModuleStatusInput } from './runtime-status.js';
export { moduleStatuses } from './observed.js';
export type { ObservedObjects } from './observed.js';
export { reportedDocument, BRIDGE_IMAGE } from './reported.js';
export { DesiredStatusTracker } from './desired-status.js';
export type { ReportedInput } from './reported.js';
export { reportedEnv, reportedSettings, CREATE_OPTIONS_CHUNK } from './desired-fields.js';
export { NEVER_UTC, RUNTIME_STATUSES } from './reported-types.js';
export type { RuntimeStatus, ReportedModule, ReportedAgent, ReportedDocument, ReportedSettings, DesiredStatus, AgentVersion, Platform } from './reported-types.js';
export type { PodJson, DeploymentJson, JobJson, ServiceJson, ContainerStatusJson, ContainerStateJson, PodConditionJson, Timestamp } from './kube-json.js';
export { versionProgress, DEPLOYMENT_FAILED } from './version-status.js';
export type { VersionProgress } from './version-status.js';
