/** TaskRunner: edgeAgent's background task statuses and messages (TaskStatusResponse). */
import { TaskRunner, redactSas } from '../../../translator/methods/index.js';

test("Running at once (edgeAgent's BackgroundTask.Run answers so, never NotStarted), then Completed", async () => {
  const runner = new TaskRunner();
  let release!: () => void;
  const started = runner.start('upload logs', () => new Promise<void>((r) => (release = r)));
  expect(started).toEqual({ status: 'Running', message: '', correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  expect(runner.status(started.correlationId).status).toBe('Running');
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  expect(runner.status(started.correlationId).status).toBe('Running');
  release();
  await runner.idle();
  expect(runner.status(started.correlationId)).toEqual({ status: 'Completed', message: '', correlationId: started.correlationId });
});

test("Failed with edgeAgent's message, without SAS signatures", async () => {
  const runner = new TaskRunner();
  const { correlationId } = runner.start('upload logs', () => Promise.reject(new Error('PUT https://a.blob.core.windows.net/c/x?sv=1&sig=SECRET failed\nstack')));
  await runner.idle();
  expect(runner.status(correlationId)).toEqual({ status: 'Failed', message: 'Task upload logs failed because of error PUT https://a.blob.core.windows.net/c/x?[redacted] failed', correlationId });
});

test('Cancelled when the time is up; Unknown for an id never given', async () => {
  const runner = new TaskRunner({ timeoutMs: 30 });
  const { correlationId } = runner.start('upload support bundle', (signal) => new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))));
  await runner.idle();
  expect(runner.status(correlationId)).toMatchObject({ status: 'Cancelled', message: 'Task upload support bundle was cancelled: timed out after 30 ms' });
  expect(runner.status('nope')).toEqual({ status: 'Unknown', message: '', correlationId: 'nope' });
});

test('Cancelled, not hung, when the time is up before the work could start', async () => {
  const runner = new TaskRunner({ timeoutMs: 1 });
  let started = false;
  // Started from a setImmediate callback, the work's turn is the next loop's check phase; the
  // busy wait lets the 1 ms timer expire, so the next loop's timers phase fires it first.
  const { correlationId } = await new Promise<{ correlationId: string }>((resolve) =>
    setImmediate(() => {
      const status = runner.start('upload logs', (signal) => {
        started = true;
        return new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      });
      const until = Date.now() + 20;
      while (Date.now() < until);
      resolve(status);
    }),
  );
  await runner.idle();
  expect(started).toBe(false);
  expect(runner.status(correlationId)).toMatchObject({ status: 'Cancelled', message: 'Task upload logs was cancelled: timed out after 1 ms' });
});

test('redactSas removes query strings and signatures', () => {
  expect(redactSas('see http://h:1/acct/c?sv=2020&sig=abc%3D and sig=xyz')).toBe('see http://h:1/acct/c?[redacted] and sig=[redacted]');
});
