/**
 * The CLI's own errors: ordinary mistakes a user can fix, printed as one `error: ...` line
 * with exit code 1. They live apart from the verbs so `main` can recognise them without
 * loading a verb's module (the verbs are loaded lazily).
 */

/** `run` cannot start: no cluster, nothing to run, an invalid deployment to push. */
export class RunError extends Error {
  override readonly name = 'RunError';
}

/** `push` failed: an invalid manifest, an IoT Hub that refused or cannot be reached. */
export class PushError extends Error {
  override name = 'PushError';
}

/** The sandbox cannot start: a bad image catalog, an address in use. */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';
}

/** `hub monitor` cannot follow the sandbox hub's messages: no sandbox state, a refused stream. */
export class MonitorError extends Error {
  override readonly name = 'MonitorError';
}

/** `fleet` cannot read the hub: a bad connection string, an unreachable or untrusted hub. */
export class FleetError extends Error {
  override readonly name = 'FleetError';
}

/** A device verb (list, logs, restart, check, support-bundle) cannot reach or act on the device. */
export class DeviceVerbError extends Error {
  override readonly name = 'DeviceVerbError';
}
