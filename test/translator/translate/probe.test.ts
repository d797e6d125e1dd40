import { nanosToSeconds } from '../../../translator/translate/probe.js';
import { co, translateOne } from './builders.js';
import { assertValidK8s } from '../../support/k8s-schema.js';

describe('Healthcheck -> livenessProbe', () => {
  it('CMD with durations in nanoseconds (rounded up to seconds) and Retries', () => {
    const r = translateOne({
      Healthcheck: { Test: ['CMD', 'curl', '-f', 'http://localhost/'], Interval: 10e9, Timeout: 2500000000, StartPeriod: 30e9, Retries: 5 },
    });
    expect(r.container.livenessProbe).toEqual({
      exec: { command: ['curl', '-f', 'http://localhost/'] },
      periodSeconds: 10,
      timeoutSeconds: 3,
      initialDelaySeconds: 30,
      failureThreshold: 5,
    });
    assertValidK8s(r.objects);
  });

  it('CMD-SHELL runs through /bin/sh -c and takes Docker defaults', () => {
    const r = translateOne({ Healthcheck: { Test: ['CMD-SHELL', 'pgrep app || exit 1'] } });
    expect(r.container.livenessProbe).toEqual({
      exec: { command: ['/bin/sh', '-c', 'pgrep app || exit 1'] },
      periodSeconds: 30,
      timeoutSeconds: 30,
      failureThreshold: 3,
    });
  });

  it('NONE disables the check', () => {
    const r = translateOne({ Healthcheck: { Test: ['NONE'] } });
    expect(r.container.livenessProbe).toBeUndefined();
    expect(r.diagnostics).toEqual([]);
  });

  it('no Test (inherit from image) warns', () => {
    const r = translateOne({ Healthcheck: { Interval: 1e9 } });
    expect(r.container.livenessProbe).toBeUndefined();
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('Healthcheck', 'Test')]);
  });

  it('unknown Test forms are errors', () => {
    const r = translateOne({ Healthcheck: { Test: ['RUN', 'x'] } });
    expect(r.errors.map((e) => e.pointer)).toEqual([co('Healthcheck', 'Test')]);
  });

  it('is not applied to Jobs (their restart policy does not restart unhealthy modules)', () => {
    const r = translateOne({ Healthcheck: { Test: ['CMD', 'true'] } }, { restartPolicy: 'on-failure' });
    expect(r.workload!.kind).toBe('Job');
    expect(r.container.livenessProbe).toBeUndefined();
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('Healthcheck')]);
  });

  it('is applied for on-unhealthy', () => {
    expect(translateOne({ Healthcheck: { Test: ['CMD', 'true'] } }, { restartPolicy: 'on-unhealthy' }).container.livenessProbe).toBeDefined();
  });

  it('nanosToSeconds rounds up with a minimum of 1', () => {
    expect(nanosToSeconds(1, 30)).toBe(1);
    expect(nanosToSeconds(1_000_000_001, 30)).toBe(2);
    expect(nanosToSeconds(0, 30)).toBe(30);
  });
});
