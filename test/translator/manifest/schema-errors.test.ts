import type { ErrorObject } from 'ajv';
import { describeLocation, pointerTokens, schemaDiagnostics } from '../../../translator/manifest/schema-errors.js';
import { validateAgentDesired, validateHubDesired } from '../../../translator/manifest/schemas.js';
import { A, agentDesired, H, hubDesired } from './fixtures.js';

const agentDiagnostics = (desired: unknown) => schemaDiagnostics(validateAgentDesired(desired, '1.1'), A, '$edgeAgent desired properties');
const hubDiagnostics = (desired: unknown) => schemaDiagnostics(validateHubDesired(desired, '1.1'), H, '$edgeHub desired properties');

describe('schemaDiagnostics', () => {
  it('reports a disallowed key at its own pointer, with the allowed key pattern', () => {
    const d = agentDesired();
    d.modules['web.server'] = d.modules.web;
    const [diag, ...rest] = agentDiagnostics(d);
    expect(rest).toEqual([]);
    expect(diag).toMatchObject({ pointer: `${A}/modules/web.server`, code: 400, severity: 'error', rule: 'schema' });
    expect(diag!.message).toBe("module name 'web.server' is not allowed: module names must match ^[a-zA-Z0-9_-]+$");
  });

  it('names the allowed properties for an unknown property', () => {
    const d = agentDesired();
    d.modules.web.restart = 'always';
    expect(agentDiagnostics(d)).toEqual([
      expect.objectContaining({
        pointer: `${A}/modules/web/restart`,
        message: "'restart' is not allowed in module 'web'; allowed: version, type, status, restartPolicy, env, settings, imagePullPolicy, startupOrder",
      }),
    ]);
  });

  it('reports a missing property at parent + /name', () => {
    const d = agentDesired();
    delete d.modules.web.settings.image;
    expect(agentDiagnostics(d)).toEqual([
      expect.objectContaining({ pointer: `${A}/modules/web/settings/image`, message: "'settings' of module 'web' is missing required property 'image'" }),
    ]);
  });

  it('lists the allowed values of an enum', () => {
    const d = agentDesired();
    d.modules.web.restartPolicy = 'sometimes';
    expect(agentDiagnostics(d)[0]!.message).toBe("'restartPolicy' 'sometimes' is not valid in module 'web'; allowed values: never, on-failure, on-unhealthy, always");
  });

  it('names expected and actual types', () => {
    const d = agentDesired();
    d.modules.web.settings.image = 42;
    expect(agentDiagnostics(d)[0]!.message).toBe("'image' must be a string, not a number in module 'web'");
  });

  it('reports nothing below a disallowed key', () => {
    const d = agentDesired();
    d.modules['bad name'] = { type: 'podman' };
    expect(agentDiagnostics(d).map((x) => x.pointer)).toEqual([`${A}/modules/bad name`]);
  });

  it('collapses anyOf to one type error when no branch fits the type', () => {
    const diags = hubDiagnostics({ ...hubDesired(), routes: { r: 5 } });
    expect(diags).toEqual([expect.objectContaining({ pointer: `${H}/routes/r`, message: "route 'r' must be an object or a string, not a number" })]);
  });

  it('collapses anyOf to the branch the value was meant for', () => {
    const diags = hubDiagnostics({ ...hubDesired(), routes: { r: { route: 'FROM /* INTO $upstream', priority: 12 } } });
    expect(diags).toEqual([expect.objectContaining({ pointer: `${H}/routes/r/priority`, message: "'priority' 12 in route 'r' must be <= 9" })]);
  });

  it('keeps one diagnostic per pointer, the most telling one', () => {
    const errors = [
      { keyword: 'pattern', instancePath: '/modules/x', schemaPath: '#/p', params: { pattern: 'p' }, data: 'v' },
      { keyword: 'additionalProperties', instancePath: '/modules', schemaPath: '#/a', params: { additionalProperty: 'x' }, parentSchema: {} },
    ] as ErrorObject[];
    expect(schemaDiagnostics(errors, '', 'root').map((d) => d.pointer)).toEqual(['/modules/x']);
    expect(schemaDiagnostics(errors, '', 'root')[0]!.message).toBe("module name 'x' is not allowed");
  });

  it('uses the caller to render values (so secrets can be hidden)', () => {
    const d = agentDesired();
    d.modules.web.status = 'hunter2';
    const diags = schemaDiagnostics(validateAgentDesired(d, '1.1'), A, 'x', () => '<hidden>');
    expect(diags[0]!.message).toContain('<hidden>');
    expect(diags[0]!.message).not.toContain('hunter2');
  });
});

describe('pointer helpers', () => {
  it('unescapes tokens', () => {
    expect(pointerTokens('/a~1b/c~0d')).toEqual(['a/b', 'c~d']);
    expect(pointerTokens('')).toEqual([]);
  });

  it('describes manifest locations', () => {
    expect(describeLocation(['modules', 'web'], 'root')).toBe("module 'web'");
    expect(describeLocation(['modules', 'web', 'settings'], 'root')).toBe("'settings' of module 'web'");
    expect(describeLocation(['runtime', 'settings', 'registryCredentials', 'acr'], 'root')).toBe("registry credential 'acr'");
    expect(describeLocation(['runtime', 'settings', 'registryCredentials', 'acr', 'password'], 'root')).toBe("'password' of registry credential 'acr'");
    expect(describeLocation(['runtime'], 'root')).toBe("'runtime'");
    expect(describeLocation([], 'root')).toBe('root');
  });
});
