/** The IoT Hub link: desired state in, reported state out, as `$edgeAgent`. */
export { TwinLink } from './twin-link.js';
export type { DesiredState, TwinSnapshot, TwinLinkOptions } from './twin-link.js';
export { ReportedPublisher } from './reported-publisher.js';
export type { ReportedChannel, ReportedPublisherOptions, SentPatch } from './reported-publisher.js';
export { TwinError, toTwinError, scrubSecrets } from './errors.js';
export type { TwinErrorKind } from './errors.js';
export { SILENT_LOGGER } from './logger.js';
export type { TwinLogger } from './logger.js';
export { withTimeout, DEFAULT_HUB_TIMEOUT_MS } from './timeout.js';
