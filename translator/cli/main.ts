/**
 * The `iotedge-k8s` command. `main` returns the exit code instead of exiting so tests can run
 * it in-process; bad input never ends in a stack trace.
 */
import { isIP } from 'node:net';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ManifestLoadError } from '../manifest/diagnostics.js';
import { compileFile } from '../sources/local.js';
import type { ServiceType, TranslateOptions, VolumeBinding } from '../translate/options.js';
import { CONNECTION_STRING_ENV, RunError, runBridge, type RunFlags } from './run.js';
import { PushError, runPush, type PushFlags } from './push.js';
import { formatDiagnostic, toJsonList, toYaml } from './format.js';
import { runSandbox, type SandboxFlags } from './sandbox.js';
import { ServiceBindError } from '../../sandbox/hub/index.js';
import { CatalogError } from '../../sandbox/kube/index.js';

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

interface TranslateFlags {
  layer: string[];
  namespace?: string;
  deviceId?: string;
  hub?: string;
  serviceType?: ServiceType;
  volumeBinding?: VolumeBinding;
  storageClass?: string;
  volumeSize?: string;
  output: 'yaml' | 'json';
  json?: boolean;
}

function addTranslateOptions(cmd: Command): Command {
  return cmd
    .option('--namespace <ns>', 'namespace of every object', dnsLabel('namespace'))
    .option('--device-id <id>', 'IoT Hub device id (labels, IOTEDGE_DEVICEID)')
    .option('--hub <host>', 'IoT Hub host name (labels, IOTEDGE_IOTHUBHOSTNAME)')
    .addOption(new Option('--service-type <type>', 'Service type for HostConfig.PortBindings').choices(['LoadBalancer', 'ClusterIP', 'NodePort']))
    .addOption(new Option('--volume-binding <mode>', 'Mounts of type volume: dynamic claims, or claims bound to pre-made PVs of the same name').choices(['dynamic', 'pre-provisioned']))
    .option('--storage-class <name>', 'storageClassName of dynamic claims (default: the cluster default)')
    .option('--volume-size <quantity>', 'requested size of claims (default 1Gi)');
}

function translateOptions(flags: TranslateFlags): Partial<TranslateOptions> {
  return {
    namespace: flags.namespace,
    deviceId: flags.deviceId,
    hubHostname: flags.hub,
    portBindingServiceType: flags.serviceType,
    volumeBinding: flags.volumeBinding,
    storageClassName: flags.storageClass,
    volumeSize: flags.volumeSize,
  };
}

async function compile(file: string, flags: TranslateFlags) {
  return compileFile(file, { layers: flags.layer }, translateOptions(flags));
}

function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('iotedge-k8s')
    .description('Runs Azure IoT Edge deployments on Kubernetes.')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError();

  addTranslateOptions(
    program
      .command('validate')
      .description('Validate a deployment manifest (or template); exit 1 with one line per problem.')
      .argument('<file>', 'deployment manifest, deployment.template.json, or a layered base')
      .option('--layer <file>', 'a layered deployment merged onto the base (repeatable, ascending priority)', collect, [])
      .option('--json', 'print the diagnostics as JSON'),
  ).action(async (file: string, flags: TranslateFlags) => {
    const result = await compile(file, flags);
    if (flags.json) {
      io.stdout(JSON.stringify({ valid: result.ok, diagnostics: result.diagnostics }, null, 2) + '\n');
    } else {
      for (const d of result.diagnostics) io.stdout(formatDiagnostic(d) + '\n');
      if (result.ok) io.stdout(`${file}: valid (${result.model?.modules.length ?? 0} modules, ${result.objects.length} objects)\n`);
    }
    setExit(result.ok ? 0 : 1);
  });

  addTranslateOptions(
    program
      .command('translate')
      .description('Print the Kubernetes objects a deployment manifest becomes; warnings go to stderr.')
      .argument('<file>', 'deployment manifest, deployment.template.json, or a layered base')
      .option('--layer <file>', 'a layered deployment merged onto the base (repeatable, ascending priority)', collect, [])
      .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml')),
  ).action(async (file: string, flags: TranslateFlags) => {
    const result = await compile(file, flags);
    for (const d of result.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
    if (!result.ok) {
      io.stderr(`${file}: not translated: fix the errors above.\n`);
      setExit(1);
      return;
    }
    io.stdout(flags.output === 'json' ? toJsonList(result.objects) : toYaml(result.objects));
    setExit(0);
  });

  addTranslateOptions(
    program
      .command('run')
      .description("Run the bridge: apply the device's deployments to the cluster and report module status to IoT Hub.")
      .option('--kubeconfig <file>', 'cluster to use (default: KUBECONFIG, else the in-cluster configuration)')
      .option('--connection-string <cs>', `the device's $edgeAgent module connection string (default: $${CONNECTION_STRING_ENV})`)
      .option('--ca <file>', 'PEM CA certificate to trust for IoT Hub (or its gateway)')
      .option('--manifest <path>', 'a local manifest, template or folder to run (watched; with --sandbox: pushed through the sandbox IoT Hub)')
      .option('--layer <file>', 'a layered deployment merged onto --manifest (repeatable)', collect, [])
      .option('--sandbox', 'run on the built-in cluster and IoT Hub emulators')
      .option('--state-dir <dir>', 'sandbox state, and the default status file of local runs', '.sandbox')
      .option('--status-file <file>', 'where local runs write the reported properties (default: STATE_DIR/status.json)')
      .option('--ops-port <port>', 'port of /metrics, /healthz and /readyz (0: a free one)', port, 9600)
      .option('--ops-host <address>', 'address the operations server listens on (0.0.0.0 in a pod, so the kubelet and Prometheus reach it)', ipAddress, '127.0.0.1')
      .addOption(new Option('--log-level <level>', 'log level (JSON lines on stderr)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  ).action(async (flags: TranslateFlags & Omit<RunFlags, 'translate' | 'namespace'> & { namespace?: string }) => {
    const runFlags: RunFlags = { ...flags, namespace: flags.namespace ?? 'iotedge', translate: translateOptions(flags) };
    setExit(await runBridge(runFlags, io, untilSignal(), process.stdout.isTTY === true));
  });

  program
    .command('push')
    .description("Push a deployment manifest to an IoT Edge device through IoT Hub (applyConfigurationContent).")
    .argument('<file>', 'deployment manifest, deployment.template.json, or a layered base')
    .requiredOption('--hub-connection-string <cs>', 'IoT Hub connection string with registry write rights (iothubowner)')
    .requiredOption('--device-id <id>', 'the IoT Edge device')
    .option('--ca <file>', 'PEM CA certificate to trust for the IoT Hub service API (the sandbox hub-ca.pem)')
    .option('--layer <file>', 'a layered deployment merged onto the base (repeatable)', collect, [])
    .action(async (file: string, flags: Omit<PushFlags, 'file' | 'layers'> & { layer: string[] }) => {
      setExit(await runPush({ ...flags, file, layers: flags.layer }, io));
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
      setExit(await runSandbox(flags, io, untilSignal()));
    });

  return program;
}

function ipAddress(value: string): string {
  if (isIP(value) === 0) throw new InvalidArgumentError(`'${value}' is not an IP address (e.g. 127.0.0.1, 0.0.0.0 or ::).`);
  return value;
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

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof ManifestLoadError || e instanceof CatalogError || e instanceof ServiceBindError || e instanceof RunError || e instanceof PushError) {
      io.stderr(`error: ${e.message}\n`);
      return 1;
    }
    io.stderr(`internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 70;
  }
}
