/** Small builders of deployment models for translator tests (no manifest parsing involved). */
import { assertAllCanonical } from '../../support/canonical.js';
import { DEFAULT_STARTUP_ORDER, type DeploymentModel, type ModuleModel, type RegistryCredential, type Diagnostic } from '../../../translator/manifest/index.js';
import { translate } from '../../../translator/translate/index.js';
import type { TranslateOptions } from '../../../translator/translate/options.js';
import type { KubeObject, TranslationResult } from '../../../translator/translate/types.js';

const AGENT = '/modulesContent/$edgeAgent/properties.desired';

/** A user module with defaults (running, always, on-create) and the given createOptions. */
export function moduleModel(name: string, createOptions: Record<string, unknown> = {}, overrides: Partial<ModuleModel> = {}): ModuleModel {
  const pointer = `${AGENT}/modules/${name}`;
  return {
    name,
    pointer,
    system: false,
    type: 'docker',
    image: 'mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.5',
    status: 'running',
    restartPolicy: 'always',
    imagePullPolicy: 'on-create',
    startupOrder: DEFAULT_STARTUP_ORDER,
    env: [],
    createOptions,
    createOptionsPointer: `${pointer}/settings/createOptions`,
    ...overrides,
  };
}

/** The edgeHub system module with its usual ports. */
export function edgeHubModel(createOptions?: Record<string, unknown>): ModuleModel {
  const pointer = `${AGENT}/systemModules/edgeHub`;
  return {
    ...moduleModel('edgeHub'),
    pointer,
    system: true,
    image: 'mcr.microsoft.com/azureiotedge-hub:1.5',
    createOptionsPointer: `${pointer}/settings/createOptions`,
    createOptions: createOptions ?? {
      HostConfig: {
        PortBindings: { '443/tcp': [{ HostPort: '443' }], '5671/tcp': [{ HostPort: '5671' }], '8883/tcp': [{ HostPort: '8883' }] },
      },
    },
  };
}

export function credential(name: string, address: string, username = 'user', password = 's3cr3t-PASSWORD'): RegistryCredential {
  return { name, address, username, password, pointer: `${AGENT}/runtime/settings/registryCredentials/${name}` };
}

/** A deployment with the given user modules (and optionally edgeHub, credentials). */
export function deploymentModel(modules: ModuleModel[], extra: Partial<DeploymentModel> = {}): DeploymentModel {
  const agentPointer = `${AGENT}/systemModules/edgeAgent`;
  return {
    schemaVersion: '1.1',
    runtime: { type: 'docker' },
    registryCredentials: [],
    edgeAgent: {
      ...moduleModel('edgeAgent'),
      pointer: agentPointer,
      system: true,
      image: 'mcr.microsoft.com/azureiotedge-agent:1.5',
      createOptionsPointer: `${agentPointer}/settings/createOptions`,
    },
    modules,
    moduleTwins: {},
    ...extra,
  };
}


/** What tests look at after translating one module. */
export interface OneModule extends TranslationResult {
  /** The Deployment or Job. */
  workload?: KubeObject;
  /** The Service that publishes ports outside the device (`<module>-published`), when there is one. */
  service?: KubeObject;
  /** The module's headless Service, named after it. */
  headless?: KubeObject;
  /** The workload's pod template spec. */
  pod: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The module's container. */
  container: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  warnings: Diagnostic[];
  errors: Diagnostic[];
  /** The objects of a kind. */
  ofKind(kind: string): KubeObject[];
}

/** Translates a deployment with one module `mod` (createOptions given) and picks out its pieces. */
export function translateOne(
  createOptions: Record<string, unknown>,
  overrides: Partial<ModuleModel> = {},
  options: Partial<TranslateOptions> = {},
  extra: Partial<DeploymentModel> = {},
): OneModule {
  const result = translate(deploymentModel([moduleModel('mod', createOptions, overrides)], extra), options);
  // Every test of a createOptions key checks what the builders promise: canonical objects as built.
  assertAllCanonical(result.objects);
  const workload = result.objects.find((o) => o.kind === 'Deployment' || o.kind === 'Job');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const pod = ((workload?.spec as any)?.template?.spec ?? {}) as Record<string, any>;
  return {
    ...result,
    workload,
    service: result.objects.find((o) => o.kind === 'Service' && (o.spec as { clusterIP?: string }).clusterIP !== 'None'),
    headless: result.objects.find((o) => o.kind === 'Service' && (o.spec as { clusterIP?: string }).clusterIP === 'None'),
    pod,
    container: pod.containers?.[0] ?? {},
    warnings: result.diagnostics.filter((d) => d.severity === 'warning'),
    errors: result.diagnostics.filter((d) => d.severity === 'error'),
    ofKind: (kind) => result.objects.filter((o) => o.kind === kind),
  };
}

/** The pointer of a key inside the test module's createOptions. */
export function co(...tokens: (string | number)[]): string {
  return `${AGENT}/modules/mod/settings/createOptions` + tokens.map((t) => '/' + String(t).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}
