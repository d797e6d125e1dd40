import { readdirSync, readFileSync } from 'node:fs';
import { schemaIds, validateAgentDesired, validateHubDesired, validateWithSchema, validatorFor } from '../../../translator/manifest/schemas.js';
import { agentDesired, hubDesired, SCHEMA_TESTS } from './fixtures.js';

describe('vendored schemas', () => {
  it('registers every vendored schema by its id', () => {
    const ids = schemaIds();
    expect(ids).toHaveLength(11);
    expect(ids).toContain('https://json.schemastore.org/azure-iot-edgeagent-deployment-1.0.json');
    expect(ids).toContain('https://json.schemastore.org/azure-iot-edge-deployment-template-4.0.json');
  });

  // SchemaStore's positive fixtures, each named after the schema it must pass. Template 4.0 refers
  // to edgeAgent 1.1 and edgeHub 1.2, template 1.0 to deployment 1.0: this proves the refs resolve.
  const fixtures = readdirSync(SCHEMA_TESTS).filter((f) => f.endsWith('.json'));
  it.each(fixtures)('%s passes the schema it is named after', (file) => {
    const doc: unknown = JSON.parse(readFileSync(SCHEMA_TESTS + file, 'utf8'));
    expect(validateWithSchema(file.split('_')[0] + '.json', doc)).toEqual([]);
  });

  it('cross-schema refs reject what the referenced schema rejects', () => {
    const doc = { modulesContent: { $edgeAgent: { 'properties.desired': { ...agentDesired(), runtime: { type: 'rkt', settings: {} } } } } };
    const errors = validateWithSchema('azure-iot-edge-deployment-template-4.0.json', doc);
    expect(errors.map((e) => [e.keyword, e.instancePath])).toContainEqual(['enum', '/modulesContent/$edgeAgent/properties.desired/runtime/type']);
  });

  it('validates $edgeAgent 1.0 (draft-07) and 1.1 (draft-04) desired properties', () => {
    expect(validateAgentDesired(agentDesired(), '1.1')).toEqual([]);
    expect(validateAgentDesired({ ...agentDesired(), schemaVersion: '1.0' }, '1.0')).toEqual([]);
    const bad = agentDesired();
    bad.modules.web.status = 'paused';
    expect(validateAgentDesired(bad, '1.1').map((e) => e.instancePath)).toEqual(['/modules/web/status']);
  });

  it('validates $edgeHub 1.0-1.2 desired properties', () => {
    expect(validateHubDesired({ schemaVersion: '1.0', routes: { r: 'FROM /* INTO $upstream' } }, '1.0')).toEqual([]);
    expect(validateHubDesired(hubDesired(), '1.1')).toEqual([]);
    expect(validateHubDesired({ ...hubDesired(), schemaVersion: '1.2', mqttBroker: { bridges: [] } }, '1.2')).toEqual([]);
    expect(validateHubDesired({ ...hubDesired(), mqttBroker: {} }, '1.1').map((e) => e.keyword)).toEqual(['additionalProperties']);
  });

  it('compiles each validator once and reuses it', () => {
    const ref = 'https://json.schemastore.org/azure-iot-edgehub-deployment-1.2.json';
    expect(validatorFor(ref)).toBe(validatorFor(ref));
  });

  // Its speed is bench/translate.ts's to measure, not a timed unit test's.
  it('validates a 200-module deployment, and finds the one bad module among them', () => {
    const desired = agentDesired();
    for (let i = 0; i < 200; i++) desired.modules[`m${i}`] = { ...desired.modules.web };
    expect(validateAgentDesired(desired, '1.1')).toEqual([]);
    desired.modules['m117'] = { ...desired.modules.web, restartPolicy: 'sometimes' };
    expect(validateAgentDesired(desired, '1.1').map((e) => e.instancePath)).toContain('/modules/m117/restartPolicy');
  });
});
