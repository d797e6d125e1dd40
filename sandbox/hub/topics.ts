/**
 * The IoT Hub MQTT topic space, seen from one connected identity (`deviceId` or `deviceId/moduleId`).
 * Classifies what a client publishes, decides which topic filters it may subscribe to, and builds
 * the topics the hub publishes. Pure functions.
 */

/** The identity behind an MQTT connection. */
export interface ClientIdentity {
  deviceId: string;
  moduleId?: string;
}

/** What a client publish means to the hub. */
export type InboundPublish =
  | { kind: 'twinGet'; rid: string }
  | { kind: 'twinPatchReported'; rid: string }
  | { kind: 'methodResponse'; rid: string; status: number }
  | { kind: 'telemetry'; properties: Record<string, string> }
  | { kind: 'forbidden' };

/** Topic filters the hub lets a client subscribe to. */
export const TWIN_RESPONSE_FILTER = '$iothub/twin/res/#';
export const TWIN_DESIRED_FILTER = '$iothub/twin/PATCH/properties/desired/#';
export const METHODS_FILTER = '$iothub/methods/POST/#';

/** MQTT topic prefix of an identity: `devices/d` or `devices/d/modules/m`. */
export function identityPrefix(id: ClientIdentity): string {
  return id.moduleId === undefined ? `devices/${id.deviceId}` : `devices/${id.deviceId}/modules/${id.moduleId}`;
}

/** Parses the `?a=b&c=d` part that follows a topic (after its last `/`). */
function query(text: string): URLSearchParams {
  return new URLSearchParams(text.startsWith('?') ? text.slice(1) : text);
}

/** Splits `$iothub/...` topics into the path and the query string after `/?`. */
function splitQuery(topic: string): { path: string; params: URLSearchParams } {
  const at = topic.indexOf('/?');
  if (at < 0) return { path: topic, params: new URLSearchParams() };
  return { path: topic.slice(0, at), params: query(topic.slice(at + 2)) };
}

/** Classifies a topic a client published to. Anything outside its own topics is forbidden. */
export function classifyPublish(id: ClientIdentity, topic: string): InboundPublish {
  if (topic.startsWith('$iothub/')) {
    const { path, params } = splitQuery(topic);
    const rid = params.get('$rid') ?? '';
    if (path === '$iothub/twin/GET' && rid) return { kind: 'twinGet', rid };
    if (path === '$iothub/twin/PATCH/properties/reported' && rid) return { kind: 'twinPatchReported', rid };
    const method = /^\$iothub\/methods\/res\/(\d{3})$/.exec(path);
    if (method && rid) return { kind: 'methodResponse', rid, status: Number(method[1]) };
    return { kind: 'forbidden' };
  }
  const events = `${identityPrefix(id)}/messages/events/`;
  if (topic === events.slice(0, -1) || topic.startsWith(events)) {
    const rest = topic.slice(events.length).replace(/\/$/, '');
    const properties: Record<string, string> = {};
    for (const [k, v] of query(rest)) properties[k] = v;
    return { kind: 'telemetry', properties };
  }
  return { kind: 'forbidden' };
}

/** True when the identity may subscribe to the filter: the hub's `$iothub` filters and its own inbound topics. */
export function maySubscribe(id: ClientIdentity, filter: string): boolean {
  if (filter === TWIN_RESPONSE_FILTER || filter === TWIN_DESIRED_FILTER || filter === METHODS_FILTER) return true;
  const own = id.moduleId === undefined ? `devices/${id.deviceId}/messages/devicebound/` : `${identityPrefix(id)}/inputs/`;
  return filter === `${own}#` || (filter.startsWith(own) && !filter.includes('#') && !filter.includes('+'));
}

/** Topic of a twin response. */
export function twinResponseTopic(status: number, rid: string, version?: number): string {
  return `$iothub/twin/res/${status}/?$rid=${encodeURIComponent(rid)}${version === undefined ? '' : `&$version=${version}`}`;
}

/** Topic of a desired-properties push. */
export function desiredPatchTopic(version: number): string {
  return `$iothub/twin/PATCH/properties/desired/?$version=${version}`;
}

/** Topic of a direct method request. */
export function methodRequestTopic(name: string, rid: string): string {
  return `$iothub/methods/POST/${name}/?$rid=${encodeURIComponent(rid)}`;
}

/** Parses an MQTT client id (`d` or `d/m`) into an identity. */
export function parseClientId(clientId: string): ClientIdentity | undefined {
  const parts = clientId.split('/');
  if (parts.length === 1 && parts[0]) return { deviceId: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { deviceId: parts[0], moduleId: parts[1] };
  return undefined;
}
