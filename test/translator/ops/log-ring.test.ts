/** The in-memory ring of the bridge's own log lines (GetModuleLogs of edgeAgent). */
import { LogRing, createLogger, syslogSeverity } from '../../../translator/ops/index.js';

test('keeps pino lines with the syslog severity of their level, and forwards them', () => {
  const ring = new LogRing();
  let forwarded = '';
  const logger = createLogger({ level: 'debug', destination: ring.tee((line) => (forwarded += line)) });
  logger.info({ version: 3 }, 'desired deployment accepted');
  logger.warn({}, 'cannot reach IoT Hub');
  logger.error({}, 'reconcile failed');
  logger.debug({}, 'details');
  const lines = ring.lines();
  expect(lines.map((l) => l.raw.slice(0, 4))).toEqual(['<6> ', '<4> ', '<3> ', '<7> ']);
  expect(JSON.parse(lines[0]!.raw.slice(4))).toMatchObject({ msg: 'desired deployment accepted', version: 3 });
  expect(Math.abs(lines[0]!.time.getTime() - Date.now())).toBeLessThan(5000);
  expect(forwarded.split('\n').filter(Boolean)).toHaveLength(4);
  expect(syslogSeverity(60)).toBe(2);
});

test('is bounded by line count and by size, dropping the oldest lines', () => {
  const ring = new LogRing({ maxLines: 3, maxChars: 1000 });
  for (let i = 0; i < 10; i++) ring.push(`line ${i}\n`);
  expect(ring.lines().map((l) => l.raw)).toEqual(['<6> line 7', '<6> line 8', '<6> line 9']);
  const small = new LogRing({ maxChars: 100 });
  for (let i = 0; i < 10; i++) small.push('x'.repeat(40));
  expect(small.lines()).toHaveLength(2);
});

test('secrets are redacted before the ring sees them', () => {
  const ring = new LogRing();
  const logger = createLogger({ destination: ring.tee(() => undefined) });
  logger.info({ connectionString: 'HostName=h;SharedAccessKey=c2VjcmV0' }, 'connecting');
  expect(ring.lines()[0]!.raw).not.toContain('c2VjcmV0');
});
