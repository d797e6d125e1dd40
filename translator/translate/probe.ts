/**
 * Health checks.
 *
 * Rule: `Healthcheck` becomes an exec livenessProbe. `Test` ["CMD", args...] runs args;
 * ["CMD-SHELL", "cmd"] runs `/bin/sh -c cmd`; ["NONE"] disables the check (no probe).
 * Interval, Timeout and StartPeriod are nanoseconds, written as seconds rounded up (at least 1);
 * Retries is the failure threshold. Docker's defaults (30s, 30s, 0, 3) are written explicitly
 * because Kubernetes' defaults differ. StartPeriod becomes initialDelaySeconds.
 */
import { joinPointer } from '../manifest/index.js';
import type { Issues } from './issues.js';
import type { ModuleSpec } from './spec.js';
import { readInteger, readObject, readStringList } from './values.js';
import { sortedKeys } from '../shared/index.js';

const DEFAULT_INTERVAL_S = 30;
const DEFAULT_TIMEOUT_S = 30;
const DEFAULT_RETRIES = 3;

/** Nanoseconds as whole seconds, rounded up, at least 1; `fallback` when unset or 0. */
export function nanosToSeconds(nanos: number | undefined, fallback: number): number {
  if (!nanos) return fallback;
  return Math.max(1, Math.ceil(nanos / 1e9));
}

const FIELDS = ['Test', 'Interval', 'Timeout', 'StartPeriod', 'Retries'];

/** `Healthcheck` -> spec.livenessProbe. */
export function readHealthcheck(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const check = readObject(value, pointer, issues);
  if (!check) return;
  for (const key of sortedKeys(check))
    if (!FIELDS.includes(key)) issues.warn(joinPointer(pointer, key), `Healthcheck field '${key}' has no Kubernetes equivalent and is ignored`);
  const test = readStringList(check.Test, joinPointer(pointer, 'Test'), issues);
  const interval = readInteger(check.Interval, joinPointer(pointer, 'Interval'), issues);
  const timeout = readInteger(check.Timeout, joinPointer(pointer, 'Timeout'), issues);
  const startPeriod = readInteger(check.StartPeriod, joinPointer(pointer, 'StartPeriod'), issues);
  const retries = readInteger(check.Retries, joinPointer(pointer, 'Retries'), issues);
  if (test === undefined || test.length === 0) {
    issues.warn(
      joinPointer(pointer, 'Test'),
      "Healthcheck without Test inherits the image's HEALTHCHECK in Docker; Kubernetes cannot read it, so no probe is set",
    );
    return;
  }
  const [kind, ...rest] = test;
  let command: string[];
  if (kind === 'NONE') return;
  if (kind === 'CMD' && rest.length > 0) command = rest;
  else if (kind === 'CMD-SHELL' && rest.length === 1) command = ['/bin/sh', '-c', rest[0]!];
  else {
    issues.error(
      joinPointer(pointer, 'Test'),
      `Healthcheck Test must be ["NONE"], ["CMD", command...] or ["CMD-SHELL", "command"], found ${JSON.stringify(test)}`,
    );
    return;
  }
  // Keys in output order (see canonical.ts); initialDelaySeconds only when set.
  const probe: Record<string, unknown> = { exec: { command }, failureThreshold: retries || DEFAULT_RETRIES };
  if (startPeriod) probe.initialDelaySeconds = nanosToSeconds(startPeriod, 0);
  probe.periodSeconds = nanosToSeconds(interval, DEFAULT_INTERVAL_S);
  probe.timeoutSeconds = nanosToSeconds(timeout, DEFAULT_TIMEOUT_S);
  spec.livenessProbe = probe;
}
