/** A field-level cause inside a Status error's details. */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

/** Reasons the emulator answers with, as metav1.StatusReason spells them. */
export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'Expired'
  | 'Gone'
  | 'Forbidden'
  | 'Unauthorized'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'InternalError'
  | 'TooManyRequests';

/** Identifies the object an error is about (Status.details). */
export interface StatusTarget {
  name?: string;
  group?: string;
  kind?: string;
}

/** An API error that the HTTP layer turns into a `kind: Status` body. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly target: StatusTarget = {},
    readonly causes: StatusCause[] = [],
  ) {
    super(message);
    this.name = 'KubeApiError';
  }

  /** The metav1.Status body for this error. */
  toStatus(): Record<string, unknown> {
    const details: Record<string, unknown> = {};
    if (this.target.name !== undefined) details.name = this.target.name;
    if (this.target.group !== undefined) details.group = this.target.group;
    if (this.target.kind !== undefined) details.kind = this.target.kind;
    if (this.causes.length > 0) details.causes = this.causes;
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      details,
      code: this.code,
    };
  }
}

/** "deployments.apps" or "pods": how the real server names a resource in messages. */
export function qualifiedResource(plural: string, group: string): string {
  return group === '' ? plural : `${plural}.${group}`;
}

/** 404 NotFound for a named object. */
export function notFound(plural: string, group: string, name: string): KubeApiError {
  return new KubeApiError(404, 'NotFound', `${qualifiedResource(plural, group)} "${name}" not found`, {
    name,
    group,
    kind: plural,
  });
}

/** 409 AlreadyExists for a named object. */
export function alreadyExists(plural: string, group: string, name: string): KubeApiError {
  return new KubeApiError(409, 'AlreadyExists', `${qualifiedResource(plural, group)} "${name}" already exists`, {
    name,
    group,
    kind: plural,
  });
}

/** 409 Conflict for a stale resourceVersion. */
export function conflict(plural: string, group: string, name: string): KubeApiError {
  return new KubeApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(plural, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group, kind: plural },
  );
}

/** 422 Invalid with field causes, message formatted like the real server. */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): KubeApiError {
  const qualified = group === '' ? kind : `${kind}.${group}`;
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const list = summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`;
  return new KubeApiError(422, 'Invalid', `${qualified} "${name}" is invalid: ${list}`, { name, group, kind }, causes);
}

/** 400 BadRequest. */
export function badRequest(message: string): KubeApiError {
  return new KubeApiError(400, 'BadRequest', message);
}

/** 405 MethodNotAllowed. */
export function methodNotAllowed(message = 'the server does not allow this method on the requested resource'): KubeApiError {
  return new KubeApiError(405, 'MethodNotAllowed', message);
}

/** 410 Gone/Expired, as sent for a too old watch or list resourceVersion. */
export function expired(message: string): KubeApiError {
  return new KubeApiError(410, 'Expired', message);
}
