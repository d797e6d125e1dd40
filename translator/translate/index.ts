/** The translator: a pure function from the deployment model to Kubernetes objects. */
export { translate } from './translate.js';
export type { KubeObject, TranslationResult } from './types.js';
export { DEFAULT_OPTIONS, withDefaults, optionProblems } from './options.js';
export type { TranslateOptions, ServiceType, VolumeBinding, PodSecurityLevel } from './options.js';
export { POD_SECURITY_LEVELS } from './pod-security.js';
