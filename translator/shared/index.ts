/**
 * translator/shared: the few helpers every other folder needs (the lowest layer; it imports
 * nothing of the translator): untrusted JSON values, JSON merge patches, retry backoff.
 */
export { isObject, type JsonObject } from './json.js';
export { mergePatch, applyMergePatch, jsonEqual } from './merge-patch.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
