/** Direct methods of `$edgeAgent`, answered from the cluster. */
export { Methods, MAX_LOGS_PAYLOAD_BYTES, METHOD_NAMES, AGENT_MODULE_ID } from './methods.js';
export type { MethodsOptions, MethodResponse, MethodName, TaskStatus } from './methods.js';
export { MethodError, parseRestartModule, parseGetModuleLogs, parseGetTaskStatus, parseLogTime, checkSchemaVersion, selectModules } from './requests.js';
export type { RestartModuleRequest, GetModuleLogsRequest, GetTaskStatusRequest, LogItem, LogFilter } from './requests.js';
export { parseKubeletLog, parseLogLine, filterLines, encodeLogs, DEFAULT_LOG_LEVEL } from './logs.js';
export type { LogLine, RawLogLine, LogMessage, LogsResponseItem, LogSource } from './logs.js';
export { DeviceCluster, RESTARTED_AT_ANNOTATION } from './cluster.js';
export type { Workload } from './cluster.js';
