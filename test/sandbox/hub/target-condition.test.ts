import { matches, parseCondition, type TargetView } from '../../../sandbox/hub/target-condition.js';

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
  ])('%s -> %s', (condition, expected) => {
    expect(matches(parseCondition(condition), device)).toBe(expected);
  });

  test.each([
    ["tags.a = 'x", 'unterminated string at position 9'],
    ["tags.a > 'x'", 'unexpected character'],
    ["tags.a = 'x' AND", 'expected a field name'],
    ["(tags.a = 'x'", "expected ')'"],
    ['tags.a = prod', 'expected a quoted string'],
    ['', 'targetCondition is empty'],
  ])('rejects %j with a positioned message', (condition, message) => {
    expect(() => parseCondition(condition)).toThrow(message);
  });
});
