/**
 * The device verbs behind `main.ts` (loaded with `import()`): `list`, `logs`, `restart`,
 * `check` and `support-bundle`, each on a local or a remote device (device.ts).
 */
import { check, type CheckFlags } from './check.js';
import { openDevice, readCa, LocalDevice, RemoteDevice, type DeviceFlags } from './device.js';
import { list } from './list.js';
import { logs, type LogsOptions } from './logs.js';
import type { Io } from './main.js';
import type { OutputFormat } from './output.js';
import { restart } from './restart.js';
import { localSupportBundle, remoteSupportBundle, type SupportBundleFlags } from './support-bundle.js';

export type DeviceVerbFlags = DeviceFlags & { output: OutputFormat };

/** What a device verb gets besides its flags; tests fix the clock and the stop signal. */
export interface VerbContext {
  io: Io;
  /** Resolves when `logs -f` should stop (Ctrl-C). */
  stop: Promise<unknown>;
  now?: () => Date;
}

async function withDevice<T>(flags: DeviceFlags, use: (device: Awaited<ReturnType<typeof openDevice>>) => Promise<T>): Promise<T> {
  const device = await openDevice(flags);
  try {
    return await use(device);
  } finally {
    await device.close();
  }
}

export async function runList(flags: DeviceVerbFlags, ctx: VerbContext): Promise<number> {
  const text = await withDevice(flags, (device) => list(device, flags.output, ctx.now ?? (() => new Date())));
  ctx.io.stdout(text);
  return 0;
}

export async function runLogs(moduleId: string, flags: DeviceVerbFlags & LogsOptions, ctx: VerbContext): Promise<number> {
  await withDevice(flags, (device) => logs(device, moduleId, flags, flags.output, ctx.io.stdout, ctx.stop));
  return 0;
}

export async function runRestart(moduleId: string, flags: DeviceVerbFlags, ctx: VerbContext): Promise<number> {
  ctx.io.stdout(await withDevice(flags, (device) => restart(device, moduleId, flags.output)));
  return 0;
}

export async function runCheck(flags: DeviceVerbFlags & CheckFlags, ctx: VerbContext): Promise<number> {
  const caPem = flags.ca ? await readCa(flags.ca) : undefined;
  const result = await check(flags, flags.output, (ctx.now ?? (() => new Date()))(), caPem);
  ctx.io.stdout(result.text);
  return result.exitCode;
}

export async function runSupportBundle(flags: CheckFlags & SupportBundleFlags, ctx: VerbContext): Promise<number> {
  const now = (ctx.now ?? (() => new Date()))();
  const caPem = flags.ca ? await readCa(flags.ca) : undefined;
  const line = await withDevice(flags, (device) =>
    device instanceof LocalDevice ? localSupportBundle(device, flags, now, caPem) : remoteSupportBundle(device as RemoteDevice, flags, now),
  );
  ctx.io.stdout(line);
  return 0;
}
