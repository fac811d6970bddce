import { describe, expect, it } from 'vitest';
import { AssentApiError, AssentConnectionError } from './errors.ts';
import { createHttp, retryAfterMs } from './http.ts';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A fetch that answers from a script and records what it was sent. */
function scripted(...answers: (() => Response | Promise<Response>)[]) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = async (url: string | URL | Request, init: RequestInit = {}) => {
    calls.push({ url: String(url), init });
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    return next();
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

const base = { baseUrl: 'http://assent.test/', apiKey: 'k' };

describe('the HTTP layer', () => {
  it('retries an idempotent call on 503 and 429, honouring Retry-After, then answers', async () => {
    const f = scripted(
      () => json(503, { title: 'busy' }, { 'retry-after': '0' }),
      () => json(429, { title: 'slow down' }, { 'retry-after': '0' }),
      () => json(200, { ok: true }),
    );
    const http = createHttp({ ...base, fetch: f.fetch });
    const out = await http.call('GET', '/v1/x', { query: { limit: 2, cursor: undefined }, retry: true });
    expect(out).toEqual({ status: 200, body: { ok: true } });
    expect(f.calls).toHaveLength(3);
    expect(f.calls[0].url).toBe('http://assent.test/v1/x?limit=2');
    expect((f.calls[0].init.headers as Record<string, string>).authorization).toBe('Bearer k');
  });

  it('keeps the same Idempotency-Key across retries after a network error', async () => {
    const f = scripted(
      () => {
        throw new TypeError('fetch failed');
      },
      () => json(201, { id: 1 }),
    );
    const http = createHttp({ ...base, fetch: f.fetch });
    await http.call('POST', '/v1/consents', { body: {}, idempotencyKey: 'abc', retry: true });
    const keys = f.calls.map((c) => (c.init.headers as Record<string, string>)['idempotency-key']);
    expect(keys).toEqual(['abc', 'abc']);
  });

  it('does not retry a call that is not idempotent', async () => {
    const f = scripted(() =>
      json(503, { type: '/problems/unavailable', title: 'down', status: 503, detail: 'x' }),
    );
    const http = createHttp({ ...base, fetch: f.fetch });
    await expect(http.call('POST', '/v1/subject-tokens', { body: {} })).rejects.toMatchObject({
      status: 503,
      type: '/problems/unavailable',
    });
    expect(f.calls).toHaveLength(1);
  });

  it('gives up after the configured retries with the last problem', async () => {
    const f = scripted(
      () => json(503, {}, { 'retry-after': '0' }),
      () => json(503, {}, { 'retry-after': '0' }),
    );
    const http = createHttp({ ...base, fetch: f.fetch, retries: 1 });
    const err = await http.call('GET', '/v1/x', { retry: true }).catch((e) => e);
    expect(err).toBeInstanceOf(AssentApiError);
    expect(err.status).toBe(503);
    expect(f.calls).toHaveLength(2);
  });

  it('turns a non-problem error body into a problem, with the request id header', async () => {
    const f = scripted(
      () =>
        new Response('<html>Bad gateway</html>', {
          status: 502,
          statusText: 'Bad Gateway',
          headers: { 'x-request-id': 'req-12345678' },
        }),
    );
    const err = await createHttp({ ...base, fetch: f.fetch })
      .call('GET', '/v1/x', { retry: true })
      .catch((e) => e);
    expect(err).toMatchObject({
      status: 502,
      title: 'Bad Gateway',
      type: 'about:blank',
      requestId: 'req-12345678',
    });
  });

  it('times out a call that does not answer', async () => {
    const hang: typeof fetch = (_url, init) =>
      new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    const http = createHttp({ ...base, fetch: hang, timeoutMs: 20, retries: 1 });
    const err = await http.call('GET', '/v1/x', { retry: true }).catch((e) => e);
    expect(err).toBeInstanceOf(AssentConnectionError);
    expect(err.timedOut).toBe(true);
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(Date.UTC(2030, 0, 1, 0, 0, 5)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(
      5000,
    );
    expect(retryAfterMs('soon')).toBeNull();
    expect(retryAfterMs(null)).toBeNull();
  });
});
