import { DEFAULT_STARTUP_ORDER } from '../../../translator/manifest/model.js';
import { normalize, type NormalizeInput } from '../../../translator/manifest/normalize.js';
import { showValue } from '../../../translator/manifest/json-values.js';
import { A, agentDesired, hubDesired } from './fixtures.js';

const input = (agent: Record<string, unknown>, extra: Partial<NormalizeInput> = {}): NormalizeInput => ({
  agent,
  agentPointer: A,
  schemaVersion: '1.1',
  twins: new Map(),
  allowObjectCreateOptions: false,
  errorPointers: [],
  show: showValue,
  ...extra,
});

describe('normalize', () => {
  it('builds the model with defaults', () => {
    const agent = agentDesired();
    agent.modules.zeta = { type: 'docker', status: 'stopped', restartPolicy: 'never', startupOrder: 2, imagePullPolicy: 'never', settings: { image: 'localhost:5000/zeta' } };
    const { model, diagnostics } = normalize(input(agent, { hub: { value: hubDesired(), pointer: '/h', schemaVersion: '1.1' } }));
    expect(diagnostics).toEqual([]);
    expect(model!.modules.map((m) => m.name)).toEqual(['web', 'zeta']);
    const [web, zeta] = model!.modules;
    expect(web).toMatchObject({
      pointer: `${A}/modules/web`,
      system: false,
      image: 'mcr.microsoft.com/oss/nginx/nginx:1.15.5-alpine',
      imagePullPolicy: 'on-create',
      startupOrder: DEFAULT_STARTUP_ORDER,
      version: '1.0',
      env: [
        { name: 'GREETING', value: 'hello' },
        { name: 'COUNT', value: '3' },
        { name: 'ENABLED', value: 'true' },
      ],
      createOptions: { HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } },
      createOptionsPointer: `${A}/modules/web/settings/createOptions`,
    });
    expect(zeta).toMatchObject({ image: 'localhost:5000/zeta:latest', status: 'stopped', restartPolicy: 'never', startupOrder: 2, imagePullPolicy: 'never', createOptions: {} });
    expect(model!.edgeAgent).toMatchObject({ system: true, status: 'running', restartPolicy: 'always', startupOrder: 0 });
    expect(model!.edgeHub).toMatchObject({ system: true, status: 'running', restartPolicy: 'always', startupOrder: 0, pointer: `${A}/systemModules/edgeHub` });
    expect(model!.registryCredentials).toEqual([
      { name: 'acr', address: 'contoso.azurecr.io', username: 'user', password: 'pw-123', pointer: `${A}/runtime/settings/registryCredentials/acr` },
    ]);
    expect(model!.runtime).toEqual({ type: 'docker', minDockerVersion: 'v1.25' });
    expect(model!.edgeHubDesired!.routes).toEqual([
      { name: 'prio', route: 'FROM /messages/modules/web/* INTO $upstream', priority: 1, timeToLiveSecs: 60 },
      { name: 'up', route: 'FROM /messages/* INTO $upstream' },
    ]);
  });

  it('keeps extra $edgeHub properties and module twins', () => {
    const hub = { ...hubDesired(), schemaVersion: '1.2', mqttBroker: { bridges: [] }, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } };
    const { model } = normalize(input(agentDesired(), { hub: { value: hub, pointer: '/h', schemaVersion: '1.2' }, twins: new Map([['web', { value: { a: 1 }, pointer: '/t' }]]) }));
    expect(model!.edgeHubDesired).toMatchObject({ schemaVersion: '1.2', extra: { mqttBroker: { bridges: [] } }, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } });
    expect(model!.moduleTwins).toEqual({ web: { a: 1 } });
  });

  it('honours an explicit edgeHub startupOrder', () => {
    const agent = agentDesired();
    agent.systemModules.edgeHub.startupOrder = 5;
    expect(normalize(input(agent)).model!.edgeHub!.startupOrder).toBe(5);
  });

  it('reports createOptions and image problems, and gives no model', () => {
    const agent = agentDesired();
    agent.modules.web.settings.createOptions = '{"a":';
    agent.modules.other = { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: ' ' } };
    const { model, diagnostics } = normalize(input(agent));
    expect(model).toBeUndefined();
    expect(diagnostics.map((d) => [d.pointer, d.rule])).toEqual([
      [`${A}/modules/other/settings/image`, 'image'],
      [`${A}/modules/web/settings/createOptions`, 'create-options-json'],
    ]);
  });

  it('keeps the length of the createOptions text (chunks joined, lenient text too), and none for an object', () => {
    const agent = agentDesired();
    const text = JSON.stringify({ Env: ['A=1'], HostConfig: { Binds: ['/a:/b'] } });
    agent.modules.web.settings = { image: 'r/web:1', createOptions: text.slice(0, 10), createOptions01: text.slice(10) };
    agent.modules.lenient = { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'r/l:1', createOptions: "{Env: ['A=1'],}" } };
    agent.modules.empty = { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'r/e:1', createOptions: ' ' } };
    const { model } = normalize(input(agent));
    const byName = new Map(model!.modules.map((m) => [m.name, m]));
    expect(byName.get('web')).toMatchObject({ createOptions: { Env: ['A=1'], HostConfig: { Binds: ['/a:/b'] } }, createOptionsLength: text.length });
    expect(byName.get('lenient')).toMatchObject({ createOptions: { Env: ['A=1'] }, createOptionsLength: 15 });
    expect(byName.get('empty')).toMatchObject({ createOptions: {}, createOptionsLength: 1 });
    const template = agentDesired();
    template.modules.web.settings = { image: 'r/web:1', createOptions: { Env: ['A=1'] } };
    const fromObject = normalize(input(template, { allowObjectCreateOptions: true })).model!.modules[0]!;
    expect(fromObject.createOptions).toEqual({ Env: ['A=1'] });
    expect('createOptionsLength' in fromObject).toBe(false);
  });

  it('skips modules that already have schema errors', () => {
    const agent = agentDesired();
    agent.modules.web.settings.createOptions = '{"a":';
    const { model, diagnostics } = normalize(input(agent, { errorPointers: [`${A}/modules/web/status`] }));
    expect(model).toBeUndefined();
    expect(diagnostics).toEqual([]);
  });
});
