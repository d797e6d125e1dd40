/**
 * TwinLink and ReportedPublisher against the sandbox IoT Hub with the real SDKs: azure-iot-device
 * (Mqtt) on the bridge side, azure-iothub Registry on the service side.
 */
import { Registry } from 'azure-iothub';
import { firstValueFrom } from 'rxjs';
import { startHubEmulator, trustHubCa, type HubEmulator } from '../../../sandbox/hub/index.js';
import { ReportedPublisher, TwinLink, TwinError, type DesiredState, type SentPatch } from '../../../translator/twin/index.js';
import { waitFor } from '../../support/wait.js';
import type { JsonObject } from '../../../translator/shared/index.js';

let hub: HubEmulator;
let registry: Registry;
const DEVICE = 'twin-device';


async function setDesired(patch: Record<string, unknown>): Promise<void> {
  await registry.updateModuleTwin(DEVICE, '$edgeAgent', { properties: { desired: patch } }, '*');
}

async function hubReported(): Promise<Record<string, unknown>> {
  const twin = (await registry.getModuleTwin(DEVICE, '$edgeAgent')).responseBody;
  return twin.properties.reported as Record<string, unknown>;
}

/** Changes the desired properties without pushing the patch to the device: a push lost in transit. */
function patchWithoutPush(patch: Parameters<HubEmulator['registry']['patchDesired']>[2]): void {
  const listeners = hub.registry.listeners('desired') as ((...args: unknown[]) => void)[];
  for (const l of listeners) hub.registry.off('desired', l);
  try {
    hub.registry.patchDesired(DEVICE, '$edgeAgent', patch);
  } finally {
    for (const l of listeners) hub.registry.on('desired', l);
  }
}

function record<T>(source: { subscribe(fn: (v: T) => void): unknown }): T[] {
  const out: T[] = [];
  source.subscribe((v) => out.push(v));
  return out;
}

beforeAll(async () => {
  hub = await startHubEmulator({ serviceHost: '127.0.0.151', seedEdgeDevice: DEVICE });
  registry = trustHubCa(Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  await setDesired({ schemaVersion: '1.1', modules: { web: { settings: { image: 'nginx:1.27' } } } });
}, 20_000);

afterAll(async () => {
  await hub?.stop();
});

describe('TwinLink desired intake', () => {
  let link: TwinLink;
  let states: DesiredState[];

  beforeAll(async () => {
    link = await TwinLink.open({ connectionString: hub.edgeAgentConnectionString, ca: hub.caPem, retryDelayMs: 100 });
    states = record(link.desired$);
  }, 20_000);
  afterAll(async () => {
    await link?.close();
  });

  test('the full twin at start, without $-keys', async () => {
    const twin = (await registry.getModuleTwin(DEVICE, '$edgeAgent')).responseBody;
    expect(states).toHaveLength(1);
    expect(states[0]).toEqual({ version: twin.properties.desired.$version, desired: { schemaVersion: '1.1', modules: { web: { settings: { image: 'nginx:1.27' } } } } });
    expect(link.fullFetchCount).toBe(1);
  });

  test('a sequential patch is applied without a full fetch', async () => {
    const before = link.current!.version;
    await setDesired({ modules: { web: { settings: { image: 'nginx:1.28' } }, api: { settings: { image: 'api:1' } } } });
    const next = await waitFor('patched state', () => states.find((s) => s.version === before + 1));
    expect(next.desired).toEqual({ schemaVersion: '1.1', modules: { web: { settings: { image: 'nginx:1.28' } }, api: { settings: { image: 'api:1' } } } });
    await setDesired({ modules: { api: null } });
    const removed = await waitFor('removal', () => states.find((s) => s.version === before + 2));
    expect(removed.desired).toEqual({ schemaVersion: '1.1', modules: { web: { settings: { image: 'nginx:1.28' } } } });
    expect(link.fullFetchCount).toBe(1);
  });

  test('a gap in $version triggers a full fetch that picks up the missed change', async () => {
    const before = link.current!.version;
    // Lose one push in transit: the registry changes without notifying the MQTT gateway.
    patchWithoutPush({ missed: 'yes' });
    await new Promise((r) => setTimeout(r, 200));
    expect(link.current!.version).toBe(before);
    await setDesired({ afterGap: 1 });
    const caughtUp = await waitFor('full refetch after the gap', () => states.find((s) => s.version === before + 2));
    expect(caughtUp.desired).toMatchObject({ missed: 'yes', afterGap: 1 });
    expect(link.fullFetchCount).toBe(2);
    expect(states.some((s) => s.version === before + 1)).toBe(false);
  });

  test('after a dropped connection the twin is fetched again and changes made offline arrive', async () => {
    const fetches = link.fullFetchCount;
    const before = link.current!.version;
    const reconnected = firstValueFrom(link.reconnected$);
    expect(hub.faults.dropConnection(DEVICE, '$edgeAgent')).toBe(true);
    // While the link is down, a change is made that is never pushed (IoT Hub does not queue them).
    patchWithoutPush({ whileAway: 'changed' });
    await reconnected;
    const after = await waitFor('state after reconnect', () => states.find((s) => s.version === before + 1));
    expect(after.desired).toMatchObject({ whileAway: 'changed' });
    await waitFor('full fetch after reconnect', () => (link.fullFetchCount > fetches ? true : undefined));
  }, 30_000);
});

describe('ReportedPublisher', () => {
  let link: TwinLink;
  let publisher: ReportedPublisher;
  let sent: SentPatch[];
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** Waits until no patch went out for longer than the interval: the link is idle again. */
  const untilIdle = async () => {
    await publisher.idle();
    const last = sent[sent.length - 1];
    if (last) await sleep(Math.max(0, last.sentAt + 1050 - Date.now()));
  };

  beforeAll(async () => {
    link = await TwinLink.open({ connectionString: hub.edgeAgentConnectionString, ca: hub.caPem });
    publisher = new ReportedPublisher(link, { minIntervalMs: 1000, retryDelayMs: 100, promptKeys: ['lastDesiredVersion', 'lastDesiredStatus'] });
    sent = record(publisher.sent$);
  }, 20_000);
  afterAll(async () => {
    publisher?.close();
    await link?.close();
  });

  test('an idle link sends the first document at once; the documents of one turn are one minimal patch', async () => {
    const start = Date.now();
    publisher.publish({ lastDesiredVersion: 1, modules: { a: { runtimeStatus: 'unknown' } } });
    publisher.publish({ lastDesiredVersion: 2, modules: { a: { runtimeStatus: 'running' }, b: { runtimeStatus: 'running' } } });
    await publisher.idle();
    expect(sent).toHaveLength(1);
    // No timer before the send (it was 250 ms of coalescing): sent in the next turn of the event loop.
    expect(sent[0]!.sentAt - start).toBeLessThan(100);
    expect(sent[0]!.patch).toEqual({ lastDesiredVersion: 2, modules: { a: { runtimeStatus: 'running' }, b: { runtimeStatus: 'running' } } });
    expect(await hubReported()).toMatchObject({ lastDesiredVersion: 2, modules: { a: { runtimeStatus: 'running' }, b: { runtimeStatus: 'running' } } });
    // A module's status alone (no prompt key) on an idle link: at once too.
    await untilIdle();
    const again = Date.now();
    publisher.publish({ lastDesiredVersion: 2, modules: { a: { runtimeStatus: 'running', restartCount: 1 }, b: { runtimeStatus: 'running' } } });
    await publisher.idle();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.prompt).toBe(false);
    expect(sent[1]!.sentAt - again).toBeLessThan(100);
  });

  test('a patch due now is handed to the link before the I/O and timers already waiting run', async () => {
    await untilIdle();
    // The real link, with each hand-over noted.
    const handed: JsonObject[] = [];
    const channel = { updateReported: (patch: JsonObject) => (handed.push(patch), link.updateReported(patch)), snapshots$: link.snapshots$ };
    const own = new ReportedPublisher(channel, { minIntervalMs: 1000, promptKeys: ['lastDesiredStatus'] });
    try {
      // Callbacks queued before the publish, as a rollout's watch events are: the patch must not wait behind them.
      const seen: number[] = [];
      setImmediate(() => seen.push(handed.length));
      setTimeout(() => seen.push(handed.length), 0);
      own.publish({ lastDesiredStatus: { code: 200 }, extra: { first: true } });
      own.publish({ lastDesiredStatus: { code: 200 }, extra: { first: false } });
      await own.idle();
      expect(seen).toEqual([1, 1]);
      expect(handed).toEqual([{ lastDesiredStatus: { code: 200 }, extra: { first: false } }]);
    } finally {
      own.close();
    }
    expect(await hubReported()).toMatchObject({ extra: { first: false } });
  });

  test('a burst is coalesced: what follows a patch within the interval goes out as one patch, only the difference, removed keys as null', async () => {
    await untilIdle();
    const count = sent.length;
    publisher.publish({ lastDesiredVersion: 2, modules: { a: { runtimeStatus: 'backoff', restartCount: 1 }, b: { runtimeStatus: 'running' } } });
    await sleep(50);
    publisher.publish({ lastDesiredVersion: 2, modules: { a: { runtimeStatus: 'unknown', restartCount: 1 }, b: { runtimeStatus: 'running' } } });
    await sleep(50);
    publisher.publish({ lastDesiredVersion: 2, modules: { a: { runtimeStatus: 'running' } } });
    await publisher.idle();
    const burst = sent.slice(count);
    expect(burst).toHaveLength(2);
    expect(burst[0]!.patch).toEqual({ modules: { a: { runtimeStatus: 'backoff' } } });
    expect(burst[1]!.patch).toEqual({ modules: { a: { runtimeStatus: 'running', restartCount: null }, b: null } });
    expect(burst[1]!.sentAt - burst[0]!.sentAt).toBeGreaterThanOrEqual(990);
    expect((await hubReported()).modules).toEqual({ a: { runtimeStatus: 'running' } });
    publisher.publish({ lastDesiredVersion: 2, modules: { a: { runtimeStatus: 'running' } } });
    await publisher.idle();
    expect(sent).toHaveLength(count + 2);
  });

  test('a storm of documents for 2.5 s, the desired status among them, yields a few patches and ends with the last document', async () => {
    await untilIdle();
    const count = sent.length;
    const start = Date.now();
    let i = 0;
    while (Date.now() - start < 2500) {
      i++;
      // Every 10th document is a new lastDesiredVersion (prompt), the others a module's status.
      publisher.publish({ lastDesiredVersion: 10 + Math.floor(i / 10), modules: { a: { runtimeStatus: 'running', restartCount: i } } });
      await sleep(20);
    }
    await publisher.idle();
    const storm = sent.slice(count);
    // At most one patch per second on the burst's cadence and one prompt patch per second: over 2.5 s at most 2 * 3 + the last.
    expect(i).toBeGreaterThan(50);
    expect(storm.length).toBeLessThanOrEqual(7);
    for (const [k, p] of storm.entries()) {
      const previous = storm.slice(0, k);
      const samePrompt = previous.filter((q) => q.prompt === p.prompt);
      if (samePrompt.length > 0) expect(p.sentAt - samePrompt[samePrompt.length - 1]!.sentAt).toBeGreaterThanOrEqual(990);
    }
    expect(await hubReported()).toMatchObject({ lastDesiredVersion: 10 + Math.floor(i / 10), modules: { a: { restartCount: i } } });
  }, 15_000);

  test('a change of lastDesiredStatus does not wait behind the burst, but prompt patches are one per interval too', async () => {
    await untilIdle();
    publisher.publish({ lastDesiredVersion: 20, lastDesiredStatus: { code: 200 }, modules: { a: { runtimeStatus: 'backoff' } } });
    await untilIdle();
    const count = sent.length;
    // A module status: sent at once (idle link), not a prompt patch.
    publisher.publish({ lastDesiredVersion: 20, lastDesiredStatus: { code: 200 }, modules: { a: { runtimeStatus: 'unknown' } } });
    await publisher.idle();
    expect(sent[count]!.prompt).toBe(false);
    // Another module status right after: within the interval, so it waits.
    publisher.publish({ lastDesiredVersion: 20, lastDesiredStatus: { code: 200 }, modules: { a: { runtimeStatus: 'running' } } });
    await sleep(100);
    expect(sent).toHaveLength(count + 1);
    // The desired status changes: out at once, with the module status that waited.
    const changed = Date.now();
    publisher.publish({ lastDesiredVersion: 21, lastDesiredStatus: { code: 200 }, modules: { a: { runtimeStatus: 'running' } } });
    await waitFor('the prompt patch', () => sent[count + 1]);
    expect(sent[count + 1]!.prompt).toBe(true);
    expect(sent[count + 1]!.sentAt - changed).toBeLessThan(100);
    expect(sent[count + 1]!.patch).toEqual({ lastDesiredVersion: 21, modules: { a: { runtimeStatus: 'running' } } });
    // Another desired status at once: the previous prompt patch was less than an interval ago, so it waits.
    publisher.publish({ lastDesiredVersion: 21, lastDesiredStatus: { code: 500, description: 'x' }, modules: { a: { runtimeStatus: 'running' } } });
    await publisher.idle();
    expect(sent).toHaveLength(count + 3);
    expect(sent[count + 2]!.sentAt - sent[count + 1]!.sentAt).toBeGreaterThanOrEqual(990);
    expect(await hubReported()).toMatchObject({ lastDesiredVersion: 21, lastDesiredStatus: { code: 500, description: 'x' } });
  });

  test('after a reconnect, what the hub missed is resent', async () => {
    const reconnected = firstValueFrom(link.reconnected$);
    expect(hub.faults.dropConnection(DEVICE, '$edgeAgent')).toBe(true);
    // Meanwhile someone else (an old agent) overwrote a reported value at the hub.
    hub.registry.patchReported(DEVICE, '$edgeAgent', { lastDesiredVersion: 99, stale: true });
    publisher.publish({ lastDesiredVersion: 3, modules: { a: { runtimeStatus: 'running' } } });
    await reconnected;
    await waitFor('hub to hold the current document', async () => {
      const r = await hubReported();
      return r.lastDesiredVersion === 3 && !('stale' in r) ? r : undefined;
    }, 15_000);
    await publisher.idle();
    expect(publisher.acknowledgedDocument).toEqual({ lastDesiredVersion: 3, modules: { a: { runtimeStatus: 'running' } } });
  }, 30_000);

  test('a refused send is reported as a typed error and retried', async () => {
    const errors = record(publisher.errors$);
    hub.faults.refuseTwinRequests(500);
    publisher.publish({ lastDesiredVersion: 4, modules: { a: { runtimeStatus: 'running' } } });
    await waitFor('a send failure', () => errors[0]);
    hub.faults.clear();
    await waitFor('retried patch at the hub', async () => ((await hubReported()).lastDesiredVersion === 4 ? true : undefined), 15_000);
    expect(errors[0]).toBeInstanceOf(TwinError);
    expect(errors[0]!.message).not.toMatch(/SharedAccess|sig=/);
  }, 30_000);
});

describe('TwinLink errors', () => {
  test('a wrong key is an unauthorized TwinError without the key in its message', async () => {
    const wrong = hub.edgeAgentConnectionString.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.from('x'.repeat(32)).toString('base64')}`);
    const err = await TwinLink.open({ connectionString: wrong, ca: hub.caPem }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwinError);
    expect((err as TwinError).kind).toBe('unauthorized');
    expect((err as TwinError).message).not.toContain(Buffer.from('x'.repeat(32)).toString('base64'));
  }, 20_000);

  test('a malformed connection string is an invalid-configuration TwinError', async () => {
    const err = await TwinLink.open({ connectionString: 'HostName=x;SharedAccessKey=secretvalue' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwinError);
    expect((err as TwinError).kind).toBe('invalid-configuration');
    expect((err as TwinError).message).not.toContain('secretvalue');
  });
});
