/** Direct methods of `$edgeAgent`, answered from the cluster. */
export { Methods, MAX_LOGS_PAYLOAD_BYTES, METHOD_NAMES, AGENT_MODULE_ID } from './methods.js';
export type { MethodsOptions, MethodResponse, MethodName, TaskStatus } from './methods.js';
export { MethodError, parseRestartModule, parseGetModuleLogs, parseGetTaskStatus, parseLogTime, checkSchemaVersion, selectModules } from './requests.js';
export type { RestartModuleRequest, GetModuleLogsRequest, GetTaskStatusRequest, LogItem, LogFilter } from './requests.js';
export { parseKubeletLog, parseLogLine, filterLines, encodeLogs, DEFAULT_LOG_LEVEL } from './logs.js';
export type { LogLine, RawLogLine, LogMessage, LogsResponseItem, LogSource } from './logs.js';
export { DeviceCluster, RESTARTED_AT_ANNOTATION } from './cluster.js';
export type { Workload } from './cluster.js';
export { TaskRunner, DEFAULT_TASK_TIMEOUT_MS, redactSas, type TaskStatusResponse, type TaskRunnerOptions } from './tasks.js';
export { parseUploadModuleLogs, parseUploadSupportBundle, blobName, logsExtension, uploadBlob, APPEND_BLOCK_BYTES, moduleLogBlobs, type UploadModuleLogsRequest, type UploadSupportBundleRequest, type BlobUpload } from './uploads.js';
export { supportBundleZip, collectClusterContent, podLogInRange, redactJson, redactText, REDACTED, type BundleContent, type BundleRange } from './bundle.js';
export { evaluateChecks, isCheckResult, orderChecks, onlyChecks, withHubChecks, CHECK_IDS, CHECK_TITLES, DEVICE_CHECK_IDS, HUB_CHECK_IDS, clusterFacts, BRIDGE_PERMISSIONS, REPORTED_LIMIT_BYTES, MAX_CLOCK_SKEW_MS, CERT_WARN_MS, type CheckResult, type CheckStatus, type CheckFacts, type Fact, type Permission, type ModuleState, type CheckId } from './checks.js';
export { deviceChecks, DEVICE_CHECKS_METHOD, type DeviceChecksInput } from './device-checks.js';
export { clusterModules, lastGoodModel, lastGoodDeployment, observedDevice, type ObservedDevice } from './modules.js';
export { SupportBundles, EDGEHUB_CERTIFICATE, type SupportBundleOptions } from './support.js';
export { zip, type ZipEntry } from './zip.js';
