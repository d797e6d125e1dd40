import type { JsonObject } from '../../../sandbox/hub/json.js';
import { page, pageOffset, pageSize, parseQuery, runQuery } from '../../../sandbox/hub/query.js';

const twins = [
  { deviceId: 'b', tags: { env: 'prod' } },
  { deviceId: 'a', moduleId: '$edgeHub', properties: { reported: { x: 1 } } },
  { deviceId: 'a', tags: { env: 'dev' } },
  { deviceId: 'a', moduleId: '$edgeAgent', properties: { reported: { x: 2 } } },
] as JsonObject[];

describe('twin query parsing and evaluation (pure)', () => {
  test('devices and devices.modules select their own kind of twin, ordered by device then module', () => {
    expect(runQuery(parseQuery('SELECT * FROM devices'), twins).map((t) => t.deviceId)).toEqual(['a', 'b']);
    expect(runQuery(parseQuery('select * from DEVICES.MODULES'), twins).map((t) => t.moduleId)).toEqual(['$edgeAgent', '$edgeHub']);
    expect(runQuery(parseQuery("SELECT * FROM devices.modules WHERE properties.reported.x > 1"), twins).map((t) => t.moduleId)).toEqual(['$edgeAgent']);
    expect(runQuery(parseQuery('SELECT deviceId, properties.reported.x FROM devices.modules'), twins)).toEqual([
      { deviceId: 'a', x: 2 },
      { deviceId: 'a', x: 1 },
    ]);
  });

  test.each([
    ['DELETE FROM devices', "query: expected 'SELECT * FROM devices|devices.modules [WHERE condition]'"],
    ['SELECT * FROM devices.jobs', 'query: FROM devices.jobs is not supported'],
    ['SELECT COUNT() FROM devices', "query: cannot select 'COUNT()'"],
    ["SELECT * FROM devices WHERE tags.env IN ['a']", "query: unexpected character '[' at position 12"],
    ['SELECT * FROM devices WHERE tags.env LIKE 3', 'query: expected a comparison operator (=, !=, <, >, <=, >=) at position 9'],
    ["SELECT * FROM devices WHERE STARTSWITH(deviceId, 'a')", "query: unexpected character ',' at position 19"],
  ])('%s is a 400: %s', (text, message) => {
    expect(() => parseQuery(text)).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining(message) }));
  });

  test('pages and continuation tokens', () => {
    const items = [1, 2, 3, 4, 5].map((n) => ({ deviceId: `d${n}` }));
    const first = page(items, pageOffset(undefined), pageSize('2'));
    expect(first.items.map((t) => t.deviceId)).toEqual(['d1', 'd2']);
    const second = page(items, pageOffset(first.continuation), 2);
    const third = page(items, pageOffset(second.continuation), 2);
    expect(third).toEqual({ items: [{ deviceId: 'd5' }] });
    expect(page(items, 0, 5)).toEqual({ items });
    expect(pageSize(undefined)).toBe(100);
    for (const bad of ['0', '-1', '1.5', 'ten', '10001']) expect(() => pageSize(bad)).toThrow(/x-ms-max-item-count must be an integer from 1 to 10000/);
    expect(() => pageOffset('bm90LWEtdG9rZW4=')).toThrow(/not a continuation token of this hub/);
  });
});
