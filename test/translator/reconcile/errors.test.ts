import { describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { KubeApiError, KubeConnectionError, isRetryable, kubeCall, parseRetryAfter, toKubeError } from '../../../translator/reconcile/errors.js';

describe('toKubeError', () => {
  it('types an ApiException with a Status body (string or parsed) and Retry-After', () => {
    const body = JSON.stringify({ kind: 'Status', reason: 'TooManyRequests', message: 'slow down', code: 429 });
    const e = toKubeError(new ApiException(429, 'Unsuccessful', body, { 'retry-after': '3' }), 'apply Deployment/web');
    expect(e).toBeInstanceOf(KubeApiError);
    const api = e as KubeApiError;
    expect([api.status, api.reason, api.apiMessage, api.retryAfterMs]).toEqual([429, 'TooManyRequests', 'slow down', 3000]);
    expect(api.message).toBe('apply Deployment/web: 429 TooManyRequests: slow down');
    const parsed = toKubeError(new ApiException(422, 'x', { reason: 'Invalid', message: 'spec.x: Required value' }, {}), 'op') as KubeApiError;
    expect([parsed.status, parsed.apiMessage, parsed.retryAfterMs]).toEqual([422, 'spec.x: Required value', undefined]);
  });

  it('types network failures and leaves programming errors alone', () => {
    const refused = Object.assign(new Error('request to http://x failed, reason: connect ECONNREFUSED'), { name: 'FetchError', type: 'system', code: 'ECONNREFUSED' });
    expect(toKubeError(refused, 'list Pod')).toBeInstanceOf(KubeConnectionError);
    const bug = new TypeError('x is undefined');
    expect(toKubeError(bug, 'list Pod')).toBe(bug);
    expect(toKubeError('weird', 'op')).toBe('weird');
  });

  it('kubeCall rethrows typed', async () => {
    await expect(kubeCall('read Secret/s', () => Promise.reject(new ApiException(404, 'x', '{"message":"not found"}', {})))).rejects.toMatchObject({
      name: 'KubeApiError',
      status: 404,
    });
  });
});

describe('classification', () => {
  const api = (status: number) => new KubeApiError(status, undefined, 'm', undefined, 'op');
  it('retries 5xx, 429, 409 and connection errors only', () => {
    expect([500, 503, 429, 409, 422, 400, 403, 404].map((s) => isRetryable(api(s)))).toEqual([true, true, true, true, false, false, false, false]);
    expect(isRetryable(new KubeConnectionError('op', 'reset'))).toBe(true);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('redaction', () => {
  it('hides echoed values in messages about Secrets only', () => {
    const body = { message: 'Secret "pull" is invalid: data[.dockerconfigjson]: Invalid value: "{\\"auths\\":{\\"p\\":\\"hunter2\\"}}": bad json' };
    const secret = toKubeError(new ApiException(422, 'x', body, {}), 'apply Secret/pull') as KubeApiError;
    expect(secret.apiMessage).toBe('Secret "pull" is invalid: data[.dockerconfigjson]: Invalid value: [redacted]: bad json');
    expect(secret.message).not.toContain('hunter2');
    const other = toKubeError(new ApiException(422, 'x', { message: 'metadata.name: Invalid value: "Bad_Name": must be lowercase' }, {}), 'apply Deployment/x') as KubeApiError;
    expect(other.apiMessage).toBe('metadata.name: Invalid value: "Bad_Name": must be lowercase');
  });
});
