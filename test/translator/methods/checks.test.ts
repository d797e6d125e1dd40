/** evaluateChecks (pure): each check's verdict, message and hint from the facts. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECK_IDS, CHECK_TITLES, DEVICE_CHECK_IDS, HUB_CHECK_IDS, evaluateChecks, isCheckResult, onlyChecks, orderChecks, type CheckFacts, type CheckResult } from '../../../translator/methods/index.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const byId = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.id, r]));

function certificate(days: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=edgehub', '-days', String(days), '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
  return readFileSync(join(dir, 'c.pem'), 'utf8');
}

test('nothing known: every check is skipped with a reason', () => {
  const results = evaluateChecks({ localTime: NOW });
  expect(results.map((r) => r.status)).toEqual(results.map(() => 'skip'));
  expect(results.map((r) => r.id)).toEqual(['cluster-reachable', 'cluster-permissions', 'hub-reachable', 'clock-skew', 'reported-size', 'edgehub-certificate', 'last-good', 'modules-running']);
});

test('failures carry a message and a hint', () => {
  const facts: CheckFacts = {
    localTime: NOW,
    cluster: { ok: true, value: { denied: ['patch deployments.apps'] } },
    hub: { ok: true, value: { serverTime: new Date(NOW.getTime() - 10 * 60_000) } },
    reported: { modules: { big: { runtimeStatus: 'running', env: { X: { value: 'x'.repeat(40_000) } } } } },
    lastGood: { ok: true, value: false },
  };
  const c = byId(evaluateChecks(facts));
  expect(c['cluster-permissions']).toMatchObject({ status: 'fail', message: 'denied: patch deployments.apps', hint: expect.stringContaining('iotedge-k8s install') });
  expect(c['clock-skew']).toMatchObject({ status: 'fail', message: "this clock is 600 s off IoT Hub's" });
  expect(c['reported-size']).toMatchObject({ status: 'fail', message: expect.stringMatching(/^\d+ bytes of 32768$/) });
  expect(c['last-good']).toMatchObject({ status: 'warn' });
  expect(c['modules-running']).toMatchObject({ status: 'pass', message: '1 modules running' });
});

test('a module that cannot run fails the check with its status; one still starting warns; stopped by desire is fine', () => {
  const c = byId(
    evaluateChecks({
      localTime: NOW,
      modules: { a: { runtimeStatus: 'backoff', statusDescription: 'CrashLoopBackOff: back-off 10s' }, b: { runtimeStatus: 'stopped', status: 'stopped' }, c: { runtimeStatus: 'running' }, d: { runtimeStatus: 'unknown' } },
    }),
  );
  expect(c['modules-running']).toMatchObject({ status: 'fail', message: 'not running: a (backoff: CrashLoopBackOff: back-off 10s); d (unknown)' });
  for (const failing of ['failed', 'unhealthy']) expect(byId(evaluateChecks({ localTime: NOW, modules: { a: { runtimeStatus: failing } } }))['modules-running']!.status).toBe('fail');
  const starting = byId(evaluateChecks({ localTime: NOW, modules: { a: { runtimeStatus: 'unknown', statusDescription: 'ContainerCreating' } } }));
  expect(starting['modules-running']).toMatchObject({ status: 'warn', message: 'not running: a (unknown: ContainerCreating)' });
  expect(byId(evaluateChecks({ localTime: NOW, modulesUnknown: 'not checked (why)' }))['modules-running']).toMatchObject({ status: 'skip', message: 'not checked (why)' });
  // A module that is not restarted after a clean exit is done; one that is restarted (always) or exited non-zero is not.
  const jobs = byId(evaluateChecks({ localTime: NOW, modules: { run: { runtimeStatus: 'running' }, job: { runtimeStatus: 'stopped', exitCode: 0, restartPolicy: 'never' } } }));
  expect(jobs['modules-running']).toMatchObject({ status: 'pass', message: '1 modules running, 1 completed' });
  expect(byId(evaluateChecks({ localTime: NOW, modules: { job: { runtimeStatus: 'stopped', exitCode: 0, restartPolicy: 'always' } } }))['modules-running']!.status).toBe('warn');
  expect(byId(evaluateChecks({ localTime: NOW, modules: { job: { runtimeStatus: 'failed', exitCode: 1, restartPolicy: 'never' } } }))['modules-running']!.status).toBe('fail');
});

test('orderChecks puts results into the order of CHECK_IDS; onlyChecks keeps some', () => {
  const all = evaluateChecks({ localTime: NOW });
  const shuffled = [...onlyChecks(all, HUB_CHECK_IDS), ...onlyChecks(all, DEVICE_CHECK_IDS)];
  expect(shuffled.map((r) => r.id)).not.toEqual([...CHECK_IDS]);
  expect(orderChecks(shuffled).map((r) => r.id)).toEqual([...CHECK_IDS]);
  expect(all.map((r) => r.title)).toEqual(CHECK_IDS.map((id) => CHECK_TITLES[id]));
  expect(isCheckResult(all[0])).toBe(true);
  expect(isCheckResult({ id: 'x', title: 't', status: 'maybe', message: '' })).toBe(false);
});

test("clock skew within the Date header's precision passes without a number", () => {
  const c = (skewMs: number) => byId(evaluateChecks({ localTime: new Date(NOW.getTime() + skewMs), hub: { ok: true, value: { serverTime: NOW } } }))['clock-skew']!;
  expect(c(900)).toMatchObject({ status: 'pass', message: 'within 2 s' });
  expect(c(-30_000)).toMatchObject({ status: 'pass', message: 'skew -30 s' });
  expect(c(6 * 60_000).status).toBe('fail');
});

test('edgeHub certificate: valid, expiring soon, not a certificate', () => {
  expect(byId(evaluateChecks({ localTime: new Date(), edgeHubCertificate: { ok: true, value: certificate(90) } }))['edgehub-certificate']!.status).toBe('pass');
  expect(byId(evaluateChecks({ localTime: new Date(), edgeHubCertificate: { ok: true, value: certificate(2) } }))['edgehub-certificate']!.status).toBe('warn');
  expect(byId(evaluateChecks({ localTime: new Date(Date.now() + 5 * 86_400_000), edgeHubCertificate: { ok: true, value: certificate(2) } }))['edgehub-certificate']).toMatchObject({ status: 'fail', message: expect.stringMatching(/^expired on /) });
  expect(byId(evaluateChecks({ localTime: NOW, edgeHubCertificate: { ok: true, value: 'junk' } }))['edgehub-certificate']!.status).toBe('fail');
  expect(byId(evaluateChecks({ localTime: NOW, edgeHubCertificate: { ok: true, value: undefined } }))['edgehub-certificate']!.status).toBe('skip');
});

test("the caller's own words: why IoT Hub or the reported document is unknown, what to do about a refused credential, where the document comes from", () => {
  const skipped = byId(evaluateChecks({ localTime: NOW, hubUnknown: 'not checked: no device credential found', reportedUnknown: 'not checked (no deployment applied by the bridge yet)' }));
  expect(skipped['hub-reachable']).toMatchObject({ status: 'skip', message: 'not checked: no device credential found' });
  expect(skipped['reported-size']).toMatchObject({ status: 'skip', message: 'not checked (no deployment applied by the bridge yet)' });
  const refused = byId(evaluateChecks({ localTime: NOW, hub: { ok: false, error: "IoT Hub refused the device's credential (--device-connection-string)" }, hubHint: "give the device's current connection string", reported: { schemaVersion: '1.0' }, reportedNote: 'computed from the cluster' }));
  expect(refused['hub-reachable']).toEqual({ id: 'hub-reachable', title: 'IoT Hub reachable, credential valid', status: 'fail', message: "IoT Hub refused the device's credential (--device-connection-string)", hint: "give the device's current connection string" });
  expect(refused['reported-size']).toMatchObject({ status: 'pass', message: `${JSON.stringify({ schemaVersion: '1.0' }).length} bytes of 32768 (computed from the cluster)` });
});
