/**
 * The `iotedge-k8s` command. `main` returns the exit code instead of exiting so tests can run
 * it in-process; bad input never ends in a stack trace.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ManifestLoadError } from '../manifest/index.js';
import { CONNECTION_STRING_ENV } from '../sources/index.js';
import { DEFAULT_OPTIONS, POD_SECURITY_LEVELS, type KubeObject, type PodSecurityLevel, type TranslateOptions } from '../translate/index.js';
import { TwinError } from '../twin/index.js';
import { translateFile, type ServiceType, type TranslationOptions, type VolumeBinding } from '../index.js';
import { packageVersion } from '../package.js';
import { DeviceVerbError, FleetError, MonitorError, PushError, RunError, SandboxError } from './errors.js';
import { formatDiagnostic, toJsonList, toYaml } from './format.js';
import { DEVICE_CONNECTION_STRING_ENV, InstallError, installManifests, type InstallOptions } from './install.js';
// The verbs below are loaded when used (`import()`): `validate` and `translate` load neither the
// bridge nor the emulators; only `sandbox` and `run --sandbox` load sandbox/.
import type { FleetFlags } from './fleet.js';
import type { DeviceFlags } from './device.js';
import type { DeviceVerbFlags } from './device-verbs.js';
import type { LogsOptions } from './logs.js';
import type { MonitorFlags } from './monitor.js';
import type { SupportBundleFlags } from './support-bundle.js';
import type { PushFlags } from './push.js';
import type { RunFlags } from './run.js';
import type { SandboxFlags } from './sandbox.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function dnsLabel(what: string) {
  return (value: string): string => {
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) {
      throw new InvalidArgumentError(`${what} '${value}' must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters).`);
    }
    return value;
  };
}

/** Namespace of the device's objects when --namespace is not given: the same for validate, translate and run. */
export const DEFAULT_NAMESPACE = 'iotedge';

interface TranslateFlags {
  layer: string[];
  /** false with `translate --no-namespace`. */
  namespace?: string | boolean;
  deviceId?: string;
  hub?: string;
  serviceType?: ServiceType;
  volumeBinding?: VolumeBinding;
  storageClass?: string;
  volumeSize?: string;
  podSecurity?: PodSecurityLevel;
  output: 'yaml' | 'json';
  json?: boolean;
}

/**
 * `--namespace NS` is also kept aside here: `translate --namespace NS --no-namespace` names the
 * namespace and leaves its object out, while commander stores both flags in one attribute.
 */
interface Parsed {
  namespace?: string;
}

function addTranslateOptions(cmd: Command, parsed: Parsed): Command {
  const namespaceArg = dnsLabel('namespace');
  return cmd
    .option('--namespace <ns>', `namespace of every object (default: ${DEFAULT_NAMESPACE})`, (v: string) => (parsed.namespace = namespaceArg(v)))
    .option('--device-id <id>', `IoT Hub device id (labels, IOTEDGE_DEVICEID; default: ${DEFAULT_OPTIONS.deviceId}; run with a connection string: its DeviceId)`)
    .option('--hub <host>', `IoT Hub host name (labels, IOTEDGE_IOTHUBHOSTNAME; default: ${DEFAULT_OPTIONS.hubHostname}; run with a connection string: its HostName)`)
    .addOption(new Option('--service-type <type>', 'Service type for HostConfig.PortBindings').choices(['LoadBalancer', 'ClusterIP', 'NodePort']))
    .addOption(new Option('--volume-binding <mode>', 'Mounts of type volume: dynamic claims, or claims bound to pre-made PVs of the same name').choices(['dynamic', 'pre-provisioned']))
    .option('--storage-class <name>', 'storageClassName of dynamic claims (default: the cluster default)')
    .option('--volume-size <quantity>', 'requested size of claims (default 1Gi)')
    .addOption(
      new Option('--pod-security <level>', 'Pod Security Standard every module must meet; a module that breaks it refuses the deployment')
        .choices([...POD_SECURITY_LEVELS])
        .default(DEFAULT_OPTIONS.podSecurity),
    );
}

function translateOptions(flags: TranslateFlags, parsed: Parsed): Partial<TranslateOptions> {
  return {
    namespace: typeof flags.namespace === 'string' ? flags.namespace : (parsed.namespace ?? DEFAULT_NAMESPACE),
    deviceId: flags.deviceId,
    hubHostname: flags.hub,
    portBindingServiceType: flags.serviceType,
    volumeBinding: flags.volumeBinding,
    storageClassName: flags.storageClass,
    volumeSize: flags.volumeSize,
    podSecurity: flags.podSecurity,
  };
}

/** The programmatic API's translation options from the command's flags (the CLI is built on the API). */
function apiOptions(flags: TranslateFlags, parsed: Parsed): TranslationOptions {
  const o = translateOptions(flags, parsed);
  return {
    namespace: o.namespace,
    deviceId: o.deviceId,
    hub: o.hubHostname,
    serviceType: o.portBindingServiceType,
    volumeBinding: o.volumeBinding,
    storageClass: o.storageClassName,
    volumeSize: o.volumeSize,
    podSecurity: o.podSecurity,
  };
}

async function compile(file: string, flags: TranslateFlags, parsed: Parsed) {
  return translateFile(file, { layers: flags.layer, ...apiOptions(flags, parsed) });
}

function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('iotedge-k8s')
    .description('Runs Azure IoT Edge deployments on Kubernetes.')
    .version(packageVersion, '-V, --version', "print iotedge-k8s's version")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError();
  const parsed: Parsed = {};

  addTranslateOptions(
    program
      .command('validate')
      .description('Validate a deployment manifest (or template); exit 1 with one line per problem.')
      .argument('<file>', 'deployment manifest, deployment.template.json, a layered base, or a folder of them (as run --manifest reads it)')
      .option('--layer <file>', 'a layered deployment merged onto the base (repeatable, ascending priority)', collect, [])
      .option('--json', 'print the diagnostics as JSON'),
    parsed,
  ).action(async (file: string, flags: TranslateFlags) => {
    const result = await compile(file, flags, parsed);
    if (flags.json) {
      io.stdout(JSON.stringify({ valid: result.valid, diagnostics: result.diagnostics }, null, 2) + '\n');
    } else {
      for (const d of result.diagnostics) io.stdout(formatDiagnostic(d) + '\n');
      if (result.valid) io.stdout(`${file}: valid (${result.modules.length} modules, ${result.objects.length} objects)\n`);
    }
    setExit(result.valid ? 0 : 1);
  });

  addTranslateOptions(
    program
      .command('translate')
      .description('Print the Kubernetes objects a deployment manifest becomes; warnings go to stderr.')
      .argument('<file>', 'deployment manifest, deployment.template.json, a layered base, or a folder of them (as run --manifest reads it)')
      .option('--layer <file>', 'a layered deployment merged onto the base (repeatable, ascending priority)', collect, [])
      .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
      .option('--no-namespace', 'leave the Namespace object out (by default it comes first, so the output applies to a cluster without it)'),
    parsed,
  ).action(async (file: string, flags: TranslateFlags) => {
    const result = await compile(file, flags, parsed);
    for (const d of result.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
    if (!result.valid) {
      io.stderr(`${file}: not translated: fix the errors above.\n`);
      setExit(1);
      return;
    }
    const namespace = translateOptions(flags, parsed).namespace!;
    const objects = flags.namespace === false ? result.objects : [namespaceObject(namespace), ...result.objects];
    io.stdout(flags.output === 'json' ? toJsonList(objects) : toYaml(objects));
    setExit(0);
  });

  addTranslateOptions(
    program
      .command('run')
      .description("Run the bridge: apply the device's deployments to the cluster and report module status to IoT Hub.")
      .option('--kubeconfig <file>', 'cluster to use (default: KUBECONFIG, else the in-cluster configuration)')
      .option('--connection-string <cs>', `the device's $edgeAgent module connection string (default: $${CONNECTION_STRING_ENV})`)
      .option('--device-connection-string <cs>', `the edge device's connection string: the bridge manages module identities and gives modules credentials (default: $${DEVICE_CONNECTION_STRING_ENV})`)
      .option('--gateway-host <name>', "GatewayHostName of the modules' connection strings (default: the edgeHub Service name, edgehub)")
      .option('--ca <file>', 'PEM CA certificate to trust for IoT Hub (or its gateway)')
      .option('--manifest <path>', 'a local manifest, template or folder to run (watched; with --sandbox: pushed through the sandbox IoT Hub)')
      .option('--layer <file>', 'a layered deployment merged onto --manifest (repeatable)', collect, [])
      .option('--sandbox', 'run on the built-in cluster and IoT Hub emulators')
      .option('--state-dir <dir>', 'sandbox state, and the default status file of local runs', '.sandbox')
      .option('--service-host <ip>', 'with --sandbox: loopback address whose port 443 serves the sandbox IoT Hub service API (default 127.0.0.2)')
      .option('--kube-port <port>', 'with --sandbox: port of the Kubernetes API emulator (default: a free one)', port)
      .option('--blob-storage', "with --sandbox: also run Azurite as the sandbox IoT Hub's blob endpoint (hub.json gains blobContainerSasUrl, for UploadModuleLogs and support-bundle --sas-url)")
      .option('--status-file <file>', 'where local runs write the reported properties (default: STATE_DIR/status.json)')
      .option('--ops-port <port>', 'port of /metrics, /healthz and /readyz (0: a free one)', port, 9600)
      .option('--ops-host <address>', 'address the operations server listens on (0.0.0.0 in a pod, so the kubelet and Prometheus reach it)', '127.0.0.1')
      .option('--leader-elect', 'compete with other replicas for the Lease iotedge-k8s in the namespace; only the leader writes (holder identity: $POD_NAME)')
      .addOption(new Option('--log-level <level>', 'log level (JSON lines on stderr)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
    parsed,
  ).action(async (flags: TranslateFlags & Omit<RunFlags, 'translate' | 'namespace'>) => {
    const runFlags: RunFlags = { ...flags, namespace: translateOptions(flags, parsed).namespace!, translate: translateOptions(flags, parsed) };
    const { runBridge } = await import('./run.js');
    const signal = untilSignal();
    const second = exitOnSecondSignal(signal, io);
    try {
      setExit(await runBridge(runFlags, io, signal, process.stdout.isTTY === true));
    } finally {
      second.dispose();
    }
  });

  program
    .command('push')
    .description("Push a deployment manifest to an IoT Edge device through IoT Hub (applyConfigurationContent).")
    .argument('<file>', 'deployment manifest, deployment.template.json, a layered base, or a folder of them (as run --manifest reads it)')
    .requiredOption('--hub-connection-string <cs>', 'IoT Hub connection string with registry write rights (iothubowner)')
    .requiredOption('--device-id <id>', 'the IoT Edge device')
    .option('--ca <file>', 'PEM CA certificate to trust for the IoT Hub service API (the sandbox hub-ca.pem)')
    .option('--layer <file>', 'a layered deployment merged onto the base (repeatable)', collect, [])
    .action(async (file: string, flags: Omit<PushFlags, 'file' | 'layers'> & { layer: string[] }) => {
      const { runPush } = await import('./push.js');
      setExit(await runPush({ ...flags, file, layers: flags.layer }, io));
    });

  program
    .command('install')
    .description("Print the manifests that run the bridge in a cluster (Namespace, ServiceAccount, Role, RoleBinding, Deployment, metrics Service): pipe them to kubectl apply --server-side -f -.")
    .requiredOption('--namespace <ns>', "the device's namespace", dnsLabel('namespace'))
    .requiredOption('--credential-secret <name>', "Secret in that namespace with the device's connection strings")
    .option('--connection-string-key <key>', 'key of the Secret holding the $edgeAgent module connection string', 'connectionString')
    .option('--device-connection-string-key <key>', 'key of the Secret holding the device connection string', 'deviceConnectionString')
    .option('--replicas <n>', 'bridge replicas (more than one: standbys through leader election)', positiveInt, 1)
    .option('--image <image>', 'bridge image (default: iotedge-k8s:VERSION)')
    .addOption(new Option('--pod-security <level>', 'Pod Security Standard enforced on the namespace (and passed to run)').choices(POD_SECURITY_LEVELS))
    .option('--run-arg <arg>', 'one more argument of the bridge (repeatable), e.g. --run-arg=--volume-binding=pre-provisioned', collect, [])
    .option('--without-namespace', 'leave the Namespace out (an administrator creates it, as on Azure Stack Edge)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action((flags: Omit<InstallOptions, 'podSecurity'> & { podSecurity?: InstallOptions['podSecurity']; output: 'yaml' | 'json' }) => {
      const { output, runArg, ...options } = flags as typeof flags & { runArg: string[] };
      const objects = installManifests({ ...options, runArgs: runArg });
      io.stdout(output === 'json' ? toJsonList(objects) : toYaml(objects));
      setExit(0);
    });

  program
    .command('fleet')
    .description('Show every IoT Edge device of a hub (deployment versions, status, modules not running) and the counts of each deployment.')
    .requiredOption('--hub-connection-string <cs>', 'IoT Hub connection string with registry read rights')
    .option('--ca <file>', 'PEM CA certificate to trust for the IoT Hub service API (the sandbox hub-ca.pem)')
    .option('--where <condition>', "only the devices whose twin matches this query condition, e.g. \"tags.env = 'prod'\"")
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--watch', 'refresh until Ctrl-C')
    .option('--interval <seconds>', 'seconds between refreshes with --watch (each runs 2 IoT Hub queries; an S1 unit allows 20 a minute)', seconds, 10)
    .action(async (flags: FleetFlags) => {
      const { runFleet } = await import('./fleet.js');
      setExit(await runFleet(flags, io, flags.watch ? untilSignal() : undefined, flags.watch === true && process.stdout.isTTY === true));
    });

  program
    .command('sandbox')
    .description('Run the built-in Kubernetes API and IoT Hub emulators until Ctrl-C.')
    .option('--state-dir <dir>', 'where kubeconfig, hub.json and the hub registry are written', '.sandbox')
    .option('--catalog <file>', 'image catalog (JSON): what each image does in the simulated cluster')
    .option('--lb-pool <range>', 'external IPs for LoadBalancer Services: an IP, a-b range or CIDR (repeatable)', collect, [])
    .option('--kube-port <port>', 'port of the Kubernetes API (default: a free one)', port)
    .option('--mqtt-port <port>', 'port of the IoT Hub MQTT listener (default: a free one)', port)
    .option('--service-host <ip>', 'loopback address whose port 443 serves the IoT Hub service API (default 127.0.0.2)')
    .action(async (flags: SandboxFlags) => {
      const { runSandbox } = await import('./sandbox.js');
      setExit(await runSandbox(flags, io, untilSignal()));
    });

  addDeviceVerbs(program, io, setExit);

  program
    .command('hub')
    .description('The sandbox IoT Hub.')
    .command('monitor')
    .description('Print the device-to-cloud messages arriving at the sandbox IoT Hub (like az iot hub monitor-events).')
    .option('--state-dir <dir>', 'the sandbox whose hub.json to read', '.sandbox')
    .option('--device-id <id>', 'only messages of this device')
    .option('--module-id <id>', 'only messages of this module')
    .option('--properties', 'show system and application properties and annotations')
    .option('--timeout <seconds>', 'stop after this many seconds (0: until Ctrl-C)', seconds, 0)
    .action(async (flags: MonitorFlags) => {
      const { runMonitor } = await import('./monitor.js');
      setExit(await runMonitor(flags, io, untilSignal()));
    });

  return program;
}

/** Flags of every device verb: a local device (cluster) or a remote one (IoT Hub). */
function deviceOptions(cmd: Command, output = true): Command {
  cmd
    .option('--kubeconfig <file>', 'local: the cluster of the device (default: KUBECONFIG, else in-cluster)')
    .option('--namespace <ns>', `local: the device's namespace (default: ${DEFAULT_NAMESPACE})`, dnsLabel('namespace'))
    .option('--hub-connection-string <cs>', 'remote: IoT Hub connection string with service connect and registry read rights')
    .option('--device-id <id>', 'the IoT Edge device (remote: required; local: read from the namespace when omitted)')
    .option('--ca <file>', 'PEM CA certificate to trust for IoT Hub (the sandbox hub-ca.pem)');
  if (output) cmd.addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'));
  return cmd;
}

function addDeviceVerbs(program: Command, io: Io, setExit: (code: number) => void): void {
  // Only `logs -f` waits for Ctrl-C; the other verbs leave the signals alone.
  const context = (follow = false) => ({ io, stop: follow ? untilSignal() : new Promise<never>(() => {}) });
  deviceOptions(program.command('list').description("List the device's modules with their status (as iotedge list).")).action(async (flags: DeviceVerbFlags) => {
    const { runList } = await import('./device-verbs.js');
    setExit(await runList(flags, context()));
  });
  deviceOptions(
    program
      .command('logs')
      .description("Print a module's log (as iotedge logs).")
      .argument('<module>', 'module id as in the deployment')
      .option('--tail <n>', 'only the last N lines', nonNegativeInt)
      .option('--since <time>', 'only lines since a duration ago (10m, 1h, 2d), an RFC 3339 time or unix seconds')
      .option('--until <time>', 'only lines until a duration ago, an RFC 3339 time or unix seconds')
      .option('-f, --follow', 'keep printing new lines until Ctrl-C')
      .option('-t, --timestamps', 'prefix each line with its time'),
  ).action(async (moduleId: string, flags: DeviceVerbFlags & LogsOptions) => {
    const { runLogs } = await import('./device-verbs.js');
    setExit(await runLogs(moduleId, flags, context(flags.follow === true)));
  });
  deviceOptions(program.command('restart').description('Restart a module (as iotedge restart).').argument('<module>', 'module id as in the deployment')).action(
    async (moduleId: string, flags: DeviceVerbFlags) => {
      const { runRestart } = await import('./device-verbs.js');
      setExit(await runRestart(moduleId, flags, context()));
    },
  );
  deviceOptions(
    program
      .command('check')
      .description('Check the device: cluster, permissions, IoT Hub, clock, reported size, certificates, modules (as iotedge check); exit 1 when a check fails.')
      .option('--device-connection-string <cs>', `local: the edge device's connection string for the IoT Hub checks (default: $${DEVICE_CONNECTION_STRING_ENV}, else the bridge's credential Secret in the namespace)`),
  ).action(
    async (flags: DeviceVerbFlags & { deviceConnectionString?: string }) => {
      const { runCheck } = await import('./device-verbs.js');
      setExit(await runCheck(flags, context()));
    },
  );
  deviceOptions(
    program
      .command('support-bundle')
      .description('Write a ZIP of logs, objects, events, twin and checks, secrets redacted (as iotedge support-bundle).')
      .option('--output <file>', 'where to write the bundle', 'support_bundle.zip')
      .option('--since <time>', 'only log lines since a duration ago, an RFC 3339 time or unix seconds')
      .option('--until <time>', 'only log lines until then')
      .option('--sas-url <url>', 'remote: a container SAS URL the device uploads the bundle to (create, write, list and read)')
      .option('--device-connection-string <cs>', `local: the edge device's connection string for the IoT Hub checks in the bundle (default: as for check)`),
    false,
  ).action(async (flags: DeviceFlags & SupportBundleFlags & { deviceConnectionString?: string }) => {
    const { runSupportBundle } = await import('./device-verbs.js');
    setExit(await runSupportBundle(flags, context()));
  });
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`'${value}' is not a non-negative integer.`);
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`'${value}' is not a number of seconds.`);
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`'${value}' is not a positive integer.`);
  return n;
}

/** The Namespace `translate` prints first, so `translate | kubectl apply -f -` works on a cluster without it. */
function namespaceObject(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`'${value}' is not a port number (0-65535).`);
  return n;
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * Once `first` resolved (the first SIGINT or SIGTERM), a second one exits at once (130) instead
 * of waiting for the bounded shutdown; `dispose` removes the handlers.
 */
function exitOnSecondSignal(first: Promise<unknown>, io: Io): { dispose(): void } {
  const now = () => {
    io.stderr('Second signal: exiting now, without waiting for the shutdown.\n');
    process.exit(130);
  };
  let disposed = false;
  void first.then(() => {
    if (disposed) return;
    process.once('SIGINT', now);
    process.once('SIGTERM', now);
  });
  return {
    dispose() {
      disposed = true;
      process.off('SIGINT', now);
      process.off('SIGTERM', now);
    },
  };
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const userError = e instanceof ManifestLoadError || e instanceof SandboxError || e instanceof RunError || e instanceof PushError || e instanceof MonitorError || e instanceof InstallError || e instanceof FleetError || e instanceof DeviceVerbError;
    if (userError || (e instanceof TwinError && e.kind === 'invalid-configuration')) {
      io.stderr(`error: ${e.message}\n`);
      return 1;
    }
    io.stderr(`internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 70;
  }
}
