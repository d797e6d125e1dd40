/**
 * Small HTTP helpers: body reading, JSON/Status replies, request option parsing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { badRequest, KubeApiError } from './errors.js';

/** Largest request body accepted (the real server's limit is 3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Reads the whole request body as text; throws 413 when it is too large. */
export async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBodyBytes(req)).toString('utf8');
}

/** Reads the whole request body; throws 413 when it is too large. */
export async function readBodyBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new KubeApiError(413, 'BadRequest', 'Request entity too large: limit is 3145728');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The media type of a create/update body: JSON or Kubernetes protobuf; 415 for anything else. */
export function objectBodyType(contentType: string | undefined): 'json' | 'protobuf' {
  const type = (contentType ?? 'application/json').split(';')[0]!.trim();
  if (type === 'application/vnd.kubernetes.protobuf') return 'protobuf';
  if (type !== '' && type !== 'application/json' && type !== '*/*') {
    throw new KubeApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/vnd.kubernetes.protobuf (got ${type})`,
    );
  }
  return 'json';
}

/** Parses a JSON body (or YAML for apply patches); throws 400 on bad input. */
export function parseBody(text: string, yaml: boolean): unknown {
  if (text.trim() === '') return undefined;
  if (yaml && text.trimStart().startsWith('{')) {
    // JSON is YAML too; JSON.parse reads it many times faster (kubectl and client-node send JSON).
    try {
      return JSON.parse(text);
    } catch {
      // Flow-style YAML that is not strict JSON: the YAML parser below reads it.
    }
  }
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw badRequest(`the request body could not be decoded: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Sends an error as a Status body. */
export function sendError(res: ServerResponse, error: unknown, headers: Record<string, string> = {}): void {
  const apiError =
    error instanceof KubeApiError ? error : new KubeApiError(500, 'InternalError', `Internal error occurred: ${(error as Error)?.message ?? String(error)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, apiError.code, apiError.toStatus(), headers);
}

/** Reads a non-negative integer query parameter; throws 400 when malformed. */
export function intParam(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^-?\d+$/.test(value)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(value)}`);
  return Number(value);
}

/** Reads a boolean query parameter ("true"/"1"). */
export function boolParam(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value === 'true' || value === '1';
}

/** The default field manager derived from the User-Agent, as the real server does. */
export function managerFromUserAgent(userAgent: string | undefined): string {
  if (!userAgent) return 'unknown';
  const first = userAgent.split('/')[0]?.trim() ?? '';
  return first === '' ? 'unknown' : first.slice(0, 128);
}

/** What kind of Table output the Accept header asks for, if any. */
export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}
