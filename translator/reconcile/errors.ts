/**
 * Typed errors at the boundary with @kubernetes/client-node, whose failures are untyped
 * (ApiException with a code and a body, node-fetch FetchError, plain Error). Everything the
 * reconciler catches from the client goes through {@link toKubeError} first.
 */
import { isObject } from '../shared/index.js';

/** The API server answered with an error status. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    /** HTTP status code. */
    readonly status: number,
    /** The Status `reason` (NotFound, Invalid, Conflict, ...), when the body had one. */
    readonly reason: string | undefined,
    /** The Status `message`, or a short text when the body had none. */
    readonly apiMessage: string,
    /** Retry-After in milliseconds, when the server sent one. */
    readonly retryAfterMs: number | undefined,
    /** What the client was doing ("apply Deployment/web"). */
    readonly operation: string,
  ) {
    super(`${operation}: ${status}${reason ? ` ${reason}` : ''}: ${apiMessage}`);
  }
}

/** The API server could not be reached (refused, reset, timed out, TLS failure). */
export class KubeConnectionError extends Error {
  override readonly name = 'KubeConnectionError';
  constructor(
    readonly operation: string,
    readonly causeMessage: string,
  ) {
    super(`${operation}: cannot reach the Kubernetes API: ${causeMessage}`);
  }
}

/** Either kind of client failure. */
export type KubeError = KubeApiError | KubeConnectionError;

function parseBody(body: unknown): Record<string, unknown> | undefined {
  if (isObject(body)) return body;
  if (typeof body !== 'string' || body === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!isObject(headers)) return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return typeof value === 'string' ? value : undefined;
  return undefined;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or malformed. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const NETWORK_CODE = /^(E[A-Z_]+|UND_ERR_[A-Z_]+|CERT_[A-Z_]+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_[A-Z_]+)$/;

/** True for what node-fetch and Node's sockets throw when the server cannot be reached. */
function isNetworkFailure(e: Record<string, unknown>): boolean {
  if (e.name === 'FetchError' || e.name === 'AbortError' || e.type === 'system') return true;
  return typeof e.code === 'string' && NETWORK_CODE.test(e.code);
}

/**
 * Converts what the client throws into a typed error; `operation` names what was attempted.
 * Anything that is neither an API answer nor a network failure (a bug) is returned unchanged.
 */
export function toKubeError(error: unknown, operation: string): unknown {
  if (error instanceof KubeApiError || error instanceof KubeConnectionError) return error;
  if (!isObject(error) && !(error instanceof Error)) return error;
  const e = error as unknown as Record<string, unknown>;
  const status = typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined && status >= 100 && status < 600) {
    const body = parseBody(e.body);
    const raw = typeof body?.message === 'string' ? body.message : `HTTP ${status}`;
    const message = /\bSecret\b/.test(operation) ? redactValues(raw) : raw;
    const reason = typeof body?.reason === 'string' ? body.reason : undefined;
    return new KubeApiError(status, reason, message, parseRetryAfter(headerValue(e.headers, 'retry-after')), operation);
  }
  if (isNetworkFailure(e)) return new KubeConnectionError(operation, typeof e.message === 'string' ? e.message : String(e.code));
  return error;
}

/** Hides the values the API echoes in validation messages (`Invalid value: "..."`): for Secrets they are secret. */
export function redactValues(message: string): string {
  return message.replace(/Invalid value: ("(?:[^"\\]|\\.)*"|\S+)/g, 'Invalid value: [redacted]');
}

/** Runs one client call, rethrowing its failure as a typed error where it is one. */
export async function kubeCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toKubeError(error, operation);
  }
}

/** True for client failures, typed. */
export function isKubeError(error: unknown): error is KubeError {
  return error instanceof KubeApiError || error instanceof KubeConnectionError;
}

/** True for failures worth retrying: connection errors, 5xx, 429, 409 (a concurrent writer). */
export function isRetryable(error: KubeError): boolean {
  if (error instanceof KubeConnectionError) return true;
  return error.status >= 500 || error.status === 429 || error.status === 409;
}

/** True when the error is an API 404. */
export function isNotFound(error: KubeError): boolean {
  return error instanceof KubeApiError && error.status === 404;
}
