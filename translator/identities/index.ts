/**
 * translator/identities: module identities and credentials, the way the IoT Edge identity service
 * and edgeAgent provide them, for modules running on Kubernetes. See docs/identities.md.
 *
 * - the device connection string and device-scoped SAS tokens;
 * - a client of the device-scoped module registry (`/devices/<self>/modules`) and the identity
 *   loop ({@link IdentityReconciler}) that keeps one identity per desired module;
 * - the `$edgeAgent` / `$edgeHub` identities and the connection string the bridge uses;
 * - pure functions that put credentials into Kubernetes objects ({@link withCredentials});
 * - the device CA and edgeHub's server certificate ({@link maintainCertificates}).
 */
// The parser lives in shared/ (sources/ and cli/ use it too); re-exported as part of this folder's face.
export { parseConnectionString, parseDeviceConnectionString, formatConnectionString, ConnectionStringError, type ConnectionString } from '../shared/index.js';
export { sasToken, deviceSasToken } from './sas.js';
export { ModuleRegistryClient, RegistryError, MODULES_API_VERSION, type ModuleIdentity, type SymmetricKeys, type RegistryClientOptions } from './registry-client.js';
export {
  IdentityReconciler,
  IOT_EDGE_MANAGED_BY,
  SYSTEM_MODULE_IDS,
  type IdentityReport,
  type ModuleIdentityStatus,
  type KeyedIdentity,
  type IdentityReconcilerOptions,
} from './reconciler.js';
export { ensureSystemIdentities, moduleConnectionString, type SystemIdentities } from './system.js';
export {
  credentialObjects,
  identitiesFromSecrets,
  withModuleCredentials,
  withCredentials,
  desiredIdentityIds,
  identityIdOf,
  moduleSecretName,
  TRUST_BUNDLE_SECRET,
  TRUST_BUNDLE_FILE,
  EDGEHUB_SERVER_SECRET,
  EDGEHUB_SERVER_CERT_KEY,
  EDGEHUB_CERT_DIR,
  CREDENTIAL_HASH_ANNOTATION,
  type CredentialInput,
  type EdgeHubTls,
} from './credentials.js';
export {
  planCertificates,
  applyCertificatePlan,
  maintainCertificates,
  edgeHubServerNames,
  edgeHubTlsOf,
  trustBundle,
  subjectAltNames,
  createDeviceCa,
  issueServerCertificate,
  deviceCaSecret,
  deviceCaFromSecret,
  DeviceCaError,
  DEVICE_CA_SECRET,
  DEFAULT_CERTIFICATE_POLICY,
  type DeviceCaState,
  type CertPair,
  type CertificatePolicy,
  type CertificateAction,
} from './certificates.js';
export { DeviceIdentities, NO_MODULE_CREDENTIALS, type DeviceIdentitiesOptions, type IdentitySync, type CaSecretStore } from './device-identities.js';
