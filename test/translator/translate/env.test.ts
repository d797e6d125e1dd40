import { co, translateOne } from './builders.js';
import { translate } from '../../../translator/translate/index.js';
import { deploymentModel, edgeHubModel, moduleModel } from './builders.js';

const injected = (moduleId: string) => [
  { name: 'IOTEDGE_DEVICEID', value: 'dev1' },
  { name: 'IOTEDGE_MODULEID', value: moduleId },
  { name: 'IOTEDGE_IOTHUBHOSTNAME', value: 'hub.azure-devices.net' },
];
const OPTIONS = { deviceId: 'dev1', hubHostname: 'hub.azure-devices.net' };

describe('environment', () => {
  it('orders createOptions Env, then module env (which wins in place), then injected variables', () => {
    const r = translateOne(
      { Env: ['A=1', 'B=2', 'C=x=y'] },
      { env: [{ name: 'B', value: 'module' }, { name: 'D', value: '4' }] },
      OPTIONS,
    );
    expect(r.container.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'module' },
      { name: 'C', value: 'x=y' },
      { name: 'D', value: '4' },
      ...injected('mod'),
      { name: 'IOTEDGE_GATEWAYHOSTNAME', value: 'edgehub' },
    ]);
  });

  it('leaves out names Kubernetes refuses, with a warning at the createOptions Env or at the module env entry', () => {
    const r = translateOne({ Env: ['1BAD=x', 'OK=1'] }, { env: [{ name: 'bad name/x', value: 'v' }] }, OPTIONS);
    expect(r.container.env.map((v: { name: string }) => v.name).slice(0, 1)).toEqual(['OK']);
    const warnings = r.diagnostics.filter((d) => d.rule === 'env-name').map((d) => [d.pointer, d.message]);
    expect(warnings).toEqual([
      [co('Env'), "environment variable name '1BAD' is not valid on Kubernetes and is left out"],
      ['/modulesContent/$edgeAgent/properties.desired/modules/mod/env/bad name~1x', "environment variable name 'bad name/x' is not valid on Kubernetes and is left out"],
    ]);
  });

  it('turns : in names into __ (as Azure Stack Edge does)', () => {
    const r = translateOne({ Env: ['Logging:LogLevel:Default=Debug'] }, { env: [{ name: 'Section:Key', value: 'v' }] }, OPTIONS);
    expect(r.container.env.slice(0, 2)).toEqual([
      { name: 'Logging__LogLevel__Default', value: 'Debug' },
      { name: 'Section__Key', value: 'v' },
    ]);
  });

  it('edgeHub (system) gets no IOTEDGE_GATEWAYHOSTNAME; IOTEDGE_MODULEID is the original id', () => {
    const r = translate(deploymentModel([], { edgeHub: edgeHubModel() }), OPTIONS);
    const dep = r.objects.find((o) => o.kind === 'Deployment')!;
    expect((dep.spec as any).template.spec.containers[0].env).toEqual(injected('edgeHub')); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  it('injected names replace user values with a warning', () => {
    const r = translateOne({ Env: ['IOTEDGE_DEVICEID=mine'] }, {}, OPTIONS);
    expect(r.container.env[0]).toEqual({ name: 'IOTEDGE_DEVICEID', value: 'dev1' });
    expect(r.warnings.map((w) => w.rule)).toEqual(['env-reserved']);
  });

  it('injected names replace user values wherever they are (createOptions or module env), and move last in the runtime order', () => {
    const r = translateOne(
      { Env: ['A=1', 'IOTEDGE_MODULEID=mine', 'IOTEDGE_EXTRA=kept'] },
      { env: [{ name: 'IOTEDGE_GATEWAYHOSTNAME', value: 'gw' }, { name: 'B', value: '2' }] },
      OPTIONS,
    );
    expect(r.container.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'IOTEDGE_EXTRA', value: 'kept' },
      { name: 'B', value: '2' },
      ...injected('mod'),
      { name: 'IOTEDGE_GATEWAYHOSTNAME', value: 'edgehub' },
    ]);
    expect(r.warnings.map((w) => w.message)).toEqual([
      "environment variable IOTEDGE_MODULEID is set by the runtime; the module's value is replaced",
      "environment variable IOTEDGE_GATEWAYHOSTNAME is set by the runtime; the module's value is replaced",
    ]);
  });

  it('Env entries without = and invalid names warn and are left out', () => {
    const r = translateOne({ Env: ['HOSTVAR', 'OK=1', '1BAD=2'] }, { env: [{ name: 'has space', value: 'x' }] }, OPTIONS);
    expect(r.container.env.slice(0, 1)).toEqual([{ name: 'OK', value: '1' }]);
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('Env', 0), co('Env'), '/modulesContent/$edgeAgent/properties.desired/modules/mod/env/has space']);
  });

  it('a name with `:` that is still invalid once renamed warns and is left out', () => {
    const r = translateOne({ Env: ['ok:name=1', 'bad:name!=2', '9:lives=3'] }, {}, OPTIONS);
    expect(r.container.env.slice(0, 2)).toEqual([{ name: 'ok__name', value: '1' }, ...injected('mod').slice(0, 1)]);
    expect(r.warnings.map((w) => w.message)).toEqual([
      "environment variable name 'bad:name!' is not valid on Kubernetes and is left out",
      "environment variable name '9:lives' is not valid on Kubernetes and is left out",
    ]);
  });

  it('Env of the wrong type is an error', () => {
    expect(translateOne({ Env: { A: '1' } }).errors.map((e) => e.pointer)).toEqual([co('Env')]);
  });

  it('an Env entry that is not a string is an error at the entry', () => {
    expect(translateOne({ Env: ['A=1', 2] }).errors.map((e) => e.pointer)).toEqual([co('Env', 1)]);
  });

  it('an Env entry that starts with = warns and is left out, beside the entries read as they are', () => {
    const r = translateOne({ Env: ['A=1', '=x', 'B='] }, {}, OPTIONS);
    expect(r.container.env.slice(0, 2)).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '' }]);
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('Env', 1)]);
  });

  it('a single Env string is a list of one', () => {
    expect(translateOne({ Env: 'A=1' }, {}, OPTIONS).container.env[0]).toEqual({ name: 'A', value: '1' });
  });

  it('the injected values follow the options', () => {
    const model = deploymentModel([moduleModel('m')]);
    const env = (translate(model, { deviceId: 'd2', hubHostname: 'h2' }).objects.find((o) => o.kind === 'Deployment')!.spec as any).template.spec.containers[0].env; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(env).toContainEqual({ name: 'IOTEDGE_DEVICEID', value: 'd2' });
    expect(env).toContainEqual({ name: 'IOTEDGE_IOTHUBHOSTNAME', value: 'h2' });
  });
  it('shares the runtime variables every module has, and never changes the model (its env entries may be in the output as they are)', () => {
    const deepFreeze = <T>(v: T): T => {
      if (v !== null && typeof v === 'object') {
        for (const x of Object.values(v)) deepFreeze(x);
        Object.freeze(v);
      }
      return v;
    };
    const model = deepFreeze(
      deploymentModel([
        moduleModel('a', { Env: ['X:Y=1', 'IOTEDGE_DEVICEID=mine'] }, { env: [{ name: 'M', value: 'm' }, { name: 'N:O', value: 'n' }] }),
        // A model made by hand may repeat a name: the later value wins in place, the earlier entry unchanged.
        moduleModel('b', {}, { env: [{ name: 'M', value: 'first' }, { name: 'M', value: 'other' }] }),
      ]),
    );
    const r = translate(model, OPTIONS);
    const envOf = (name: string): { name: string; value: string }[] =>
      (r.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!.spec as any).template.spec.containers[0].env; // eslint-disable-line @typescript-eslint/no-explicit-any
    const [a, b] = [envOf('a'), envOf('b')];
    expect(a).toEqual([
      { name: 'X__Y', value: '1' },
      { name: 'M', value: 'm' },
      { name: 'N__O', value: 'n' },
      ...injected('a'),
      { name: 'IOTEDGE_GATEWAYHOSTNAME', value: 'edgehub' },
    ]);
    expect(b).toEqual([{ name: 'M', value: 'other' }, ...injected('b'), { name: 'IOTEDGE_GATEWAYHOSTNAME', value: 'edgehub' }]);
    for (const name of ['IOTEDGE_DEVICEID', 'IOTEDGE_IOTHUBHOSTNAME', 'IOTEDGE_GATEWAYHOSTNAME']) expect(a.find((v) => v.name === name)).toBe(b.find((v) => v.name === name));
    expect(model.modules[0]!.env).toEqual([{ name: 'M', value: 'm' }, { name: 'N:O', value: 'n' }]);
    expect(model.modules[1]!.env).toEqual([{ name: 'M', value: 'first' }, { name: 'M', value: 'other' }]);
  });
});
