/**
 * Where desired deployments come from, behind one interface. A source delivers validated
 * manifests with a version, and takes back the reported documents that answer them: the
 * `$edgeAgent` twin ({@link ./twin.ts}) or local manifest files ({@link ./files.ts}). A new
 * source is one more file implementing {@link DesiredSource}.
 */
import type { Observable } from 'rxjs';
import type { ManifestResult } from '../manifest/index.js';
import type { ReportedDocument } from '../status/index.js';

/** One desired deployment as a source delivers it: already loaded and validated. */
export interface DesiredInput {
  /** Twin `$version`, or the local save counter. */
  version: number;
  manifest: ManifestResult;
}

/** The device a source speaks for: its id and the IoT Hub host written into labels and env. */
export interface SourceDevice {
  deviceId: string;
  hubHostname: string;
}

/** A source of desired deployments and the sink of the reports that answer them. */
export interface DesiredSource {
  readonly device: SourceDevice;
  /** Desired deployments in the order they arrive (may start before or after {@link start}). */
  readonly desired$: Observable<DesiredInput>;
  /** Takes the latest reported document (a source keeps only what it needs, e.g. the newest). */
  report(document: ReportedDocument): void;
  /** Starts delivering; resolves once started, not once connected (a twin connects in the background). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** `true` while what the source delivers is current; otherwise why /readyz should say not ready. A source that cannot go stale has none. */
  readiness?(): true | string;
}
