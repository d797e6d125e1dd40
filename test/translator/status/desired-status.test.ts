/** lastDesiredVersion / lastDesiredStatus as the bridge reports them. */
import { DesiredStatusTracker } from '../../../translator/status/index.js';

test('406 until a deployment arrives; a rejection at once; a reconcile once it ends', () => {
  const t = new DesiredStatusTracker();
  expect(t.current).toEqual({ version: 0, status: { code: 406, description: 'no deployment received yet' } });
  t.rejected(3, { code: 400, description: '/modules/a: bad' });
  expect(t.current).toEqual({ version: 3, status: { code: 400, description: '/modules/a: bad' } });
  t.reconciled(4, 'retry');
  expect(t.current.version).toBe(3);
  t.reconciled(4, { code: 200, description: '' });
  expect(t.current).toEqual({ version: 4, status: { code: 200, description: '' } });
  t.reconciled(5, { code: 500, description: 'refused by the cluster' });
  expect(t.current).toEqual({ version: 5, status: { code: 500, description: 'refused by the cluster' } });
});

test('a reconcile of an older version never replaces a newer rejection', () => {
  const t = new DesiredStatusTracker();
  t.reconciled(2, { code: 200, description: '' });
  t.rejected(3, { code: 412, description: 'schemaVersion' });
  t.reconciled(2, { code: 200, description: '' });
  expect(t.current).toEqual({ version: 3, status: { code: 412, description: 'schemaVersion' } });
  t.reconciled(undefined, { code: 200, description: '' });
  expect(t.current.version).toBe(3);
});
