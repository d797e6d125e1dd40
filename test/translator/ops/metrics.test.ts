/** BridgeMetrics: names, labels and values as Prometheus text, in a registry of its own. */
import { register as globalRegistry } from 'prom-client';
import { BridgeMetrics } from '../../../translator/ops/index.js';
import { RUNTIME_STATUSES } from '../../../translator/status/index.js';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('records every metric under iotedge_k8s_ names', async () => {
  const m = new BridgeMetrics({ runtimeStatuses: RUNTIME_STATUSES });
  m.recordReconcile('done', 0.03);
  m.recordReconcile('done', 0.2);
  m.recordReconcile('retry', 1.5);
  m.recordApiWrite('Deployment', 'apply');
  m.recordApiWrite('Service', 'apply', 2);
  m.recordApiWrite('Deployment', 'delete');
  m.recordTwinPatch('sent');
  m.recordTwinPatch('failed');
  m.recordTwinPatch('sent');
  m.recordWatchRestart();
  m.setLastDesiredVersion(42);
  m.setModuleStatuses(['running', 'running', 'backoff']);
  const text = await m.text();

  expect(sample(text, 'iotedge_k8s_reconciles_total{outcome="done"}')).toBe(2);
  expect(sample(text, 'iotedge_k8s_reconciles_total{outcome="retry"}')).toBe(1);
  expect(sample(text, 'iotedge_k8s_reconcile_duration_seconds_count')).toBe(3);
  expect(sample(text, 'iotedge_k8s_reconcile_duration_seconds_sum')).toBeCloseTo(1.73, 6);
  expect(sample(text, 'iotedge_k8s_reconcile_duration_seconds_bucket{le="0.05"}')).toBe(1);
  expect(sample(text, 'iotedge_k8s_reconcile_duration_seconds_bucket{le="0.25"}')).toBe(2);
  expect(sample(text, 'iotedge_k8s_api_writes_total{kind="Deployment",verb="apply"}')).toBe(1);
  expect(sample(text, 'iotedge_k8s_api_writes_total{kind="Service",verb="apply"}')).toBe(2);
  expect(sample(text, 'iotedge_k8s_api_writes_total{kind="Deployment",verb="delete"}')).toBe(1);
  expect(sample(text, 'iotedge_k8s_twin_patches_total{result="sent"}')).toBe(2);
  expect(sample(text, 'iotedge_k8s_twin_patches_total{result="failed"}')).toBe(1);
  expect(sample(text, 'iotedge_k8s_watch_restarts_total')).toBe(1);
  expect(sample(text, 'iotedge_k8s_last_desired_version')).toBe(42);
  expect(sample(text, 'iotedge_k8s_modules{runtime_status="running"}')).toBe(2);
  expect(sample(text, 'iotedge_k8s_modules{runtime_status="backoff"}')).toBe(1);
  expect(sample(text, 'iotedge_k8s_modules{runtime_status="failed"}')).toBe(0);
  expect(text).toContain('# TYPE iotedge_k8s_reconcile_duration_seconds histogram');
  expect(text).toContain('# TYPE iotedge_k8s_modules gauge');
  for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) expect(line.startsWith('iotedge_k8s_')).toBe(true);
});

test('a status that empties drops to 0', async () => {
  const m = new BridgeMetrics();
  m.setModuleStatuses(['backoff']);
  m.setModuleStatuses(['running']);
  const text = await m.text();
  expect(sample(text, 'iotedge_k8s_modules{runtime_status="backoff"}')).toBe(0);
  expect(sample(text, 'iotedge_k8s_modules{runtime_status="running"}')).toBe(1);
});

test('two instances do not share counters or touch the global registry', async () => {
  const a = new BridgeMetrics();
  const b = new BridgeMetrics();
  a.recordWatchRestart();
  expect(sample(await a.text(), 'iotedge_k8s_watch_restarts_total')).toBe(1);
  expect(sample(await b.text(), 'iotedge_k8s_watch_restarts_total')).toBe(0);
  expect(await globalRegistry.metrics()).not.toContain('iotedge_k8s_');
});
