/** The translator: a pure function from the deployment model to Kubernetes objects. */
export { translate } from './translate.js';
export { admitDeployment, describeErrors, type Admission } from './admit.js';
export type { KubeObject, TranslationResult } from './types.js';
export { DEFAULT_OPTIONS, withDefaults, optionProblems } from './options.js';
export type { TranslateOptions, ServiceType, VolumeBinding, PodSecurityLevel } from './options.js';
export { POD_SECURITY_LEVELS } from './pod-security.js';
/** The labels and annotations that mark what the bridge owns (read by reconcile, status and methods). */
export { MANAGED_BY, MANAGED_BY_LABEL, DEVICE_LABEL, HUB_LABEL, MODULE_LABEL, ORIGINAL_MODULE_ID_ANNOTATION, ownedSelector, isOwnedBy } from './labels.js';
/** Device labels of shared objects (the identities' Secrets) and edgeHub's Service name (the modules' default gateway). */
export { deviceLabels, objectLabels } from './labels.js';
export { GATEWAY_HOSTNAME } from './env.js';
