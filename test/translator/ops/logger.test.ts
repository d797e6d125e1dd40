/** createLogger: JSON lines, secrets redacted at any depth we promise, reconcile ids on child lines. */
import { Writable } from 'node:stream';
import { createLogger, levelLog, REDACTED } from '../../../translator/ops/index.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const lines = (): Record<string, unknown>[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines };
}

test('writes one JSON object per line with level, message and name', () => {
  const { stream, lines } = capture();
  const log = createLogger({ destination: stream });
  log.info({ module: 'web' }, 'applied');
  log.debug('not written at the default level');
  const out = lines();
  expect(out).toHaveLength(1);
  expect(out[0]).toMatchObject({ level: 30, msg: 'applied', module: 'web', name: 'iotedge-k8s' });
});

test('level option lowers the threshold', () => {
  const { stream, lines } = capture();
  createLogger({ level: 'debug', destination: stream }).debug('details');
  expect(lines()[0]).toMatchObject({ level: 20, msg: 'details' });
});

test('secret fields are redacted at the top level and nested', () => {
  const { stream, lines } = capture();
  const log = createLogger({ destination: stream });
  const secret = 'c2VjcmV0LWtleS12YWx1ZQ==';
  log.info(
    {
      connectionString: `HostName=h;DeviceId=d;SharedAccessKey=${secret}`,
      registry: { address: 'r.io', username: 'u', password: secret },
      device: { auth: { symmetricKey: { primaryKey: secret, sharedAccessKey: secret } } },
      req: { headers: { authorization: `SharedAccessSignature sig=${secret}`, host: 'h' } },
      sas: secret,
    },
    'with secrets',
  );
  const text = JSON.stringify(lines());
  expect(text).not.toContain(secret);
  const [line] = lines();
  expect(line).toMatchObject({
    connectionString: REDACTED,
    registry: { address: 'r.io', username: 'u', password: REDACTED },
    req: { headers: { authorization: REDACTED, host: 'h' } },
    sas: REDACTED,
  });
});

test('levelLog adapts to (level, msg, fields) and still redacts', () => {
  const { stream, lines } = capture();
  const log = levelLog(createLogger({ level: 'debug', destination: stream }));
  log('warn', 'apply failed', { kind: 'Secret', password: 'hunter2' });
  log('debug', 'no fields');
  expect(lines()).toEqual([
    expect.objectContaining({ level: 40, msg: 'apply failed', kind: 'Secret', password: REDACTED }),
    expect.objectContaining({ level: 20, msg: 'no fields' }),
  ]);
});
