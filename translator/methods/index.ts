/** Direct methods of `$edgeAgent`, answered from the cluster. */
export { Methods, MAX_LOGS_PAYLOAD_BYTES, METHOD_NAMES } from './methods.js';
export type { MethodsOptions, MethodResponse, MethodName, TaskStatus } from './methods.js';
export { MethodError, parseRestartModule, parseGetModuleLogs, parseGetTaskStatus, parseLogTime, checkSchemaVersion } from './requests.js';
export type { RestartModuleRequest, GetModuleLogsRequest, GetTaskStatusRequest, LogItem, LogFilter } from './requests.js';
export { parseKubeletLog, filterLines, encodeLogs, DEFAULT_LOG_LEVEL } from './logs.js';
export type { LogLine, LogMessage, LogsResponseItem, LogSource } from './logs.js';
export { DeviceCluster, RESTARTED_AT_ANNOTATION } from './cluster.js';
export type { Workload } from './cluster.js';
