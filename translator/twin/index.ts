/** The IoT Hub link: desired state in, reported state out, as `$edgeAgent`. */
export { TwinLink } from './twin-link.js';
export { HubLink, type HubLinkOptions } from './hub-link.js';
export type { DesiredState, TwinSnapshot, TwinLinkOptions } from './twin-link.js';
export { ReportedPublisher } from './reported-publisher.js';
export type { ReportedChannel, ReportedPublisherOptions, SentPatch } from './reported-publisher.js';
export { TwinError, toTwinError, scrubSecrets, connectionFailure } from './errors.js';
export { trustHubCa } from './sdk-trust.js';
export type { TwinErrorKind, ConnectionFailure } from './errors.js';
export { withTimeout, DEFAULT_HUB_TIMEOUT_MS } from './timeout.js';
