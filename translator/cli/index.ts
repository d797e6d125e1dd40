/**
 * translator/cli: the `iotedge-k8s` command, thin verbs over the other folders. `bin/` enters
 * through `main.ts` directly (its verbs are loaded lazily); benches and end-to-end tests start
 * the bridge in-process through {@link startRun}.
 */
export { main, type Io } from './main.js';
export { startRun, type RunFlags, type RunningBridge } from './run.js';
export { formatDiagnostic, toYaml } from './format.js';
export { installManifests, BRIDGE_RULES, type InstallOptions } from './install.js';
