import { matches, matchesDocument, parseCondition, type TargetView } from '../../../sandbox/hub/target-condition.js';

const device: TargetView = {
  deviceId: 'edge-1',
  tags: { environment: 'prod', site: { city: 'Oslo', floor: 3 } },
  iotEdge: true,
  reported: { fw: '1.2' },
};

describe('target conditions', () => {
  test.each([
    ["deviceId='edge-1'", true],
    ['deviceId = "edge-2"', false],
    ["tags.environment='prod' AND tags.site.city='Oslo'", true],
    ["tags.environment='dev' OR tags.site.floor=3", true],
    ["tags.environment='dev' or deviceId='edge-1'", true],
    ["tags.environment != 'prod'", false],
    ["tags.environment <> 'dev'", true],
    ["tags.missing != 'x'", false],
    ["NOT (tags.environment='dev')", true],
    ["(tags.environment='dev' OR tags.environment='prod') AND capabilities.iotEdge=true", true],
    ["tags.environment='prod' AND (deviceId='a' OR deviceId='b')", false],
    ["properties.reported.fw='1.2'", true],
    ['*', true],
    ['tags.site.floor > 2', true],
    ['tags.site.floor >= 3 AND tags.site.floor <= 3', true],
    ['tags.site.floor < 3', false],
    ["tags.site.city < 'Paris'", true],
    ["tags.site.floor > '2'", false],
    ['IS_DEFINED(properties.reported.fw)', true],
    ['NOT IS_DEFINED(tags.site.street)', true],
    ['is_defined(tags.site.street)', false],
    ['properties.desired.fw = properties.reported.fw', false],
  ])('%s -> %s', (condition, expected) => {
    expect(matches(parseCondition(condition), device)).toBe(expected);
  });

  test.each([
    ["tags.a = 'x", 'unterminated string at position 9'],
    ["tags.a ~ 'x'", "unexpected character '~' at position 7"],
    ["tags.a = 'x' AND tags.b = prod", 'expected a quoted string, number, true, false, null or a twin field at position 26'],
    ['IS_DEFINED(tags.a', "expected ')' at position 17"],
    ["tags.a = 'x' AND", 'expected a field name'],
    ["(tags.a = 'x'", "expected ')'"],
    ['tags.a = prod', 'expected a quoted string'],
    ['', 'targetCondition is empty'],
  ])('rejects %j with a positioned message', (condition, message) => {
    expect(() => parseCondition(condition)).toThrow(message);
  });

  test('a field on the right-hand side compares two fields of the same twin', () => {
    const doc = { deviceId: 'd', properties: { desired: { $version: 4 }, reported: { lastDesiredVersion: 4, code: 200 } } };
    expect(matchesDocument(parseCondition('properties.desired.$version = properties.reported.lastDesiredVersion'), doc)).toBe(true);
    expect(matchesDocument(parseCondition('properties.desired.$version != properties.reported.lastDesiredVersion'), doc)).toBe(false);
    expect(matchesDocument(parseCondition('properties.desired.$version = properties.reported.missing'), doc)).toBe(false);
    expect(matchesDocument(parseCondition('properties.desired.$version < properties.reported.code'), doc)).toBe(true);
  });

  test('the label names where the condition came from', () => {
    expect(() => parseCondition("tags.a = 'x", 'query')).toThrow(/^query: unterminated string/);
  });
});
