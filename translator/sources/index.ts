/**
 * translator/sources: where desired deployments come from, behind {@link DesiredSource}: the
 * `$edgeAgent` twin or local manifest files; and the one path from a manifest to objects
 * (`compileManifest`) that the programmatic API (`validate`, `translate`) runs.
 */
export type { DesiredInput, DesiredSource, SourceDevice } from './desired.js';
export { TwinSource, CONNECTION_STRING_ENV, connectionStringDevice, type TwinSourceOptions } from './twin.js';
export { FilesSource, manifestFiles, watchManifest, type FilesSourceOptions, type ManifestFiles, type WatchOptions } from './files.js';
export { compileManifest, compileFile, type CompiledManifest } from './compile.js';
