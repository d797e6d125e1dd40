/** Pure request parsing and log filtering of the direct methods. */
import { gunzipSync } from 'node:zlib';
import { encodeLogs, filterLines, MethodError, parseGetModuleLogs, parseGetTaskStatus, parseKubeletLog, parseLogLine, parseLogTime, parseRestartModule, selectModules } from '../../../translator/methods/index.js';

const NOW = new Date('2026-11-28T03:00:00Z');

function badRequest(fn: () => unknown): MethodError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MethodError);
    expect((e as MethodError).status).toBe(400);
    return e as MethodError;
  }
  throw new Error('expected a MethodError');
}

describe('parseLogTime', () => {
  test.each([
    ['1d', '2026-11-27T03:00:00.000Z'],
    ['90m', '2026-11-28T01:30:00.000Z'],
    ['2 hours 30 minutes', '2026-11-28T00:30:00.000Z'],
    ['1h30m', '2026-11-28T01:30:00.000Z'],
    ['45 s', '2026-11-28T02:59:15.000Z'],
    ['2026-11-28T02:00:00Z', '2026-11-28T02:00:00.000Z'],
    ['2026-11-28T04:00:00+02:00', '2026-11-28T02:00:00.000Z'],
    ['1764295200', '2025-11-28T02:00:00.000Z'],
  ])('%s -> %s', (input, expected) => {
    expect(parseLogTime(input, 'since', NOW).toISOString()).toBe(expected);
  });

  test('unix seconds as a number', () => {
    expect(parseLogTime(1764295200, 'until', NOW).toISOString()).toBe('2025-11-28T02:00:00.000Z');
  });

  test.each([['yesterday'], ['5 parsecs'], [''], ['-1'], [true]])('%p is refused with the field named', (input) => {
    expect(badRequest(() => parseLogTime(input, 'items[0].filter.since', NOW)).message).toContain("'items[0].filter.since'");
  });
});

describe('parseGetModuleLogs', () => {
  test('a full request with defaults', () => {
    const r = parseGetModuleLogs({ schemaVersion: '1.0', items: [{ id: 'edgeHub|Sensor.*', filter: { tail: '10', since: '1h', regex: 'err', loglevel: 3 } }] }, NOW);
    expect(r.encoding).toBe('none');
    expect(r.contentType).toBe('text');
    expect(r.items).toHaveLength(1);
    const item = r.items[0]!;
    expect(item.id.test('edgeHub')).toBe(true);
    expect(item.id.test('SensorModule')).toBe(true);
    // Unanchored and case-insensitive, as edgeAgent's Regex(id, RegexOptions.IgnoreCase).IsMatch.
    expect(item.id.test('myedgeHub')).toBe(true);
    expect(item.id.test('EDGEHUB')).toBe(true);
    expect(item.id.test('tempsensor')).toBe(true);
    expect(item.id.test('edgeAgent')).toBe(false);
    expect(item.filter).toMatchObject({ tail: 10, loglevel: 3, since: new Date('2026-11-28T02:00:00Z') });
    expect(item.filter.regex!.test('an error')).toBe(true);
  });

  test("modules are selected by the first item that matches, 'all' selects every module", () => {
    const r = parseGetModuleLogs({ schemaVersion: '1.0', items: [{ id: 'sensor', filter: { tail: 1 } }, { id: 'ALL', filter: { tail: 2 } }], contentType: 'JSON', encoding: 1 }, NOW);
    expect([r.contentType, r.encoding]).toEqual(['json', 'gzip']);
    const chosen = selectModules(r.items, ['edgeAgent', 'edgeHub', 'SensorModule']);
    expect(chosen.map((c) => [c.id, c.item.filter.tail])).toEqual([['SensorModule', 1], ['edgeAgent', 2], ['edgeHub', 2]]);
  });

  test('a single item object is accepted, as edgeAgent does', () => {
    expect(parseGetModuleLogs({ schemaVersion: '1.0', items: { id: 'x' }, encoding: 'gzip', contentType: 'text' }, NOW).items).toHaveLength(1);
  });

  test.each([
    [undefined, 'the payload must be a JSON object'],
    [[], 'the payload must be a JSON object'],
    [{ items: [{ id: 'x' }] }, "'schemaVersion' is required"],
    [{ schemaVersion: '1.0', items: [] }, "'items' must be a non-empty array"],
    [{ schemaVersion: '1.0', items: ['x'] }, "'items[0]' must be an object"],
    [{ schemaVersion: '1.0', items: [{ id: 'x', filter: { tail: -1 } }] }, "'items[0].filter.tail' must be a non-negative integer"],
    [{ schemaVersion: '1.0', items: [{ id: 'x', filter: { loglevel: 9 } }] }, "'items[0].filter.loglevel' must be an integer from 0 to 7"],
    [{ schemaVersion: '1.0', items: [{ id: 'x', filter: { regex: '[' } }] }, "'items[0].filter.regex'"],
    [{ schemaVersion: '1.0', items: [{ id: 'x', filter: { lines: 3 } }] }, "'items[0].filter.lines' is not a known filter"],
    [{ schemaVersion: '1.0', items: [{ id: 'x', filter: { since: '1h', until: '2h' } }] }, 'is after'],
    [{ schemaVersion: '1.0', items: [{ id: 'x' }], contentType: 'xml' }, "'contentType' must be"],
  ])('%j -> 400 %s', (payload, message) => {
    expect(badRequest(() => parseGetModuleLogs(payload, NOW)).message).toContain(message);
  });
});

describe('other requests', () => {
  test('RestartModule and GetTaskStatus', () => {
    expect(parseRestartModule({ schemaVersion: '1.0', id: 'edgeHub' })).toEqual({ schemaVersion: '1.0', id: 'edgeHub' });
    expect(badRequest(() => parseRestartModule({ schemaVersion: '1.0' })).message).toContain("'id' must be a non-empty string");
    expect(parseGetTaskStatus({ schemaVersion: '1.0', correlationId: 'c1' }).correlationId).toBe('c1');
    expect(badRequest(() => parseGetTaskStatus({ schemaVersion: '1.0', correlationId: 5 })).message).toContain("'correlationId'");
  });
});

describe('log lines', () => {
  const raw = [
    '2026-11-28T02:00:00.000000001Z <6> started',
    '2026-11-28T02:30:00.000000000Z <3> failed to read',
    '2026-11-28T02:45:00.000000000Z plain line',
    '2026-11-28T02:59:00.000000000Z <4> warning here',
    '',
  ].join('\n');

  test('timestamps and syslog levels are parsed; lines without a level count as 6', () => {
    expect(parseKubeletLog(raw).map((l) => [l.time?.toISOString(), l.level, l.text, l.raw])).toEqual([
      ['2026-11-28T02:00:00.000Z', 6, 'started', '<6> started'],
      ['2026-11-28T02:30:00.000Z', 3, 'failed to read', '<3> failed to read'],
      ['2026-11-28T02:45:00.000Z', 6, 'plain line', 'plain line'],
      ['2026-11-28T02:59:00.000Z', 4, 'warning here', '<4> warning here'],
    ]);
  });

  test("an edgeHub-style line: level and the application's time stamp leave the text", () => {
    const line = parseLogLine({ raw: '<4> 2019-02-14 16:15:35.243 -08:00 [WRN] [EdgeHub] - low disk' });
    expect(line).toEqual({ level: 4, time: new Date('2019-02-15T00:15:35.243Z'), text: '[WRN] [EdgeHub] - low disk', raw: '<4> 2019-02-14 16:15:35.243 -08:00 [WRN] [EdgeHub] - low disk' });
  });

  test('filters combine; tail applies last', () => {
    const lines = parseKubeletLog(raw);
    expect(filterLines(lines, { loglevel: 6 }).map((l) => l.text)).toEqual(['started', 'plain line']);
    expect(filterLines(lines, { since: new Date('2026-11-28T02:30:00Z'), until: new Date('2026-11-28T02:50:00Z') }).map((l) => l.text)).toEqual(['failed to read', 'plain line']);
    expect(filterLines(lines, { regex: /line|here/, tail: 1 }).map((l) => l.text)).toEqual(['warning here']);
    // The regex sees the message text, without the <N> prefix.
    expect(filterLines(lines, { regex: /^failed/ }).map((l) => l.raw)).toEqual(['<3> failed to read']);
    expect(filterLines(lines, { tail: 0 })).toEqual([]);
  });

  test("encodings: edgeAgent's json messages or text, as a string in payload or gzipped in payloadBytes", () => {
    const lines = parseKubeletLog(raw).slice(0, 2);
    const source = { iotHub: 'hub.azure-devices.net', deviceId: 'dev' };
    const text = encodeLogs('m', lines, { encoding: 'none', contentType: 'text' }, source);
    expect(text).toEqual({ item: { id: 'm', payloadBytes: null, payload: '<6> started\n<3> failed to read\n' }, size: 31 });
    const json = encodeLogs('m', lines, { encoding: 'none', contentType: 'json' }, source);
    expect(typeof json.item.payload).toBe('string');
    expect(JSON.parse(json.item.payload!)).toEqual([
      { iothub: 'hub.azure-devices.net', device: 'dev', id: 'm', stream: 'stdout', loglevel: 6, text: 'started', timestamp: '2026-11-28T02:00:00.000Z' },
      { iothub: 'hub.azure-devices.net', device: 'dev', id: 'm', stream: 'stdout', loglevel: 3, text: 'failed to read', timestamp: '2026-11-28T02:30:00.000Z' },
    ]);
    expect(json.item.payloadBytes).toBeNull();
    const zipped = encodeLogs('m', lines, { encoding: 'gzip', contentType: 'json' }, source);
    expect(zipped.item.payload).toBeNull();
    expect(gunzipSync(Buffer.from(zipped.item.payloadBytes!, 'base64')).toString('utf8')).toBe(json.item.payload);
  });
});
