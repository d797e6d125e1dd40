/** Operating the bridge: structured logs, Prometheus metrics and the health/metrics endpoint. */
export { createLogger, levelLog, redactPaths, REDACTED, type LevelLog, type LoggerOptions, type LogLevel } from './logger.js';
export { BridgeMetrics, METRIC_PREFIX, type BridgeMetricsOptions, type ApiWriteVerb, type ReconcileOutcomeKind, type TwinPatchResult } from './metrics.js';
export { SILENT_LOGGER, type StructuredLogger } from './structured-logger.js';
export { startOpsServer, allReady, type OpsServer, type OpsServerOptions, type ReadinessCheck } from './server.js';
export { LogRing, syslogSeverity, type KeptLogLine, type LogRingOptions } from './log-ring.js';
