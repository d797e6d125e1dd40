/**
 * translator/shared: the few helpers every other folder needs (the lowest layer; it imports
 * nothing of the translator): untrusted JSON values, JSON merge patches, retry backoff, IoT Hub
 * connection strings.
 */
export { isObject, type JsonObject } from './json.js';
export { mergePatch, applyMergePatch, jsonEqual } from './merge-patch.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export {
  parseConnectionString,
  parseDeviceConnectionString,
  parseModuleConnectionString,
  parseServiceConnectionString,
  formatConnectionString,
  ConnectionStringError,
  type ConnectionString,
  type ServiceConnectionString,
  type ConnectionStringProblem,
} from './connection-string.js';
export { sortBy, sortStrings, sortedKeys } from './sort.js';
export { assignOwn, setOwn } from './record.js';
