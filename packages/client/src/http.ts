import { AssentApiError, AssentConnectionError, apiErrorOf } from './errors.ts';

export interface HttpOptions {
  /** e.g. `https://consent.example.com`; paths such as `/v1/check` are appended. */
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  /** Per attempt, until the whole answer is read (until the headers for streams). Default 10 s. */
  timeoutMs?: number;
  /** Extra attempts for idempotent calls on network errors, 429 and 503. Default 2. */
  retries?: number;
}

/** Query parameters; undefined and null ones are left out. */
export type Query = object;

export interface CallOptions {
  query?: Query;
  /** JSON body. */
  body?: unknown;
  idempotencyKey?: string;
  /** The call may be sent again: a safe method, or a POST carrying an idempotency key. */
  retry?: boolean;
  signal?: AbortSignal;
}

export interface StreamOptions {
  query?: Query;
  contentType: string;
  body: ReadableStream<Uint8Array>;
  signal?: AbortSignal;
}

export interface Http {
  /** A JSON call: the parsed answer and its status; throws AssentApiError on non-2xx. */
  call<T>(method: string, path: string, opts?: CallOptions): Promise<{ status: number; body: T }>;
  /** A streamed upload; resolves with the response once its headers arrived (never retried). */
  stream(method: string, path: string, opts: StreamOptions): Promise<Response>;
  /** An unauthenticated GET of a public document (e.g. the JWKS). */
  getPublic<T>(path: string): Promise<T>;
}

const RETRY_STATUSES = new Set([429, 503]);
const MAX_DELAY_MS = 30_000;

export function urlOf(baseUrl: string, path: string, query?: Query): string {
  const url = new URL(baseUrl.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query ?? {}) as [string, unknown][]) {
    if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
  }
  return url.toString();
}

/** `Retry-After` as delta-seconds or an HTTP date, in ms. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const s = header.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const at = Date.parse(s);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

const backoffMs = (attempt: number) => Math.round(250 * 2 ** attempt * (0.5 + Math.random() / 2));

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A per-attempt deadline joined to the caller's signal. */
function deadline(timeoutMs: number, outer?: AbortSignal) {
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort(new DOMException('The call timed out', 'TimeoutError'));
  }, timeoutMs);
  const onAbort = () => ctl.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ctl.signal,
    timedOut: () => timedOut,
    /** Stops the clock; the caller's signal still aborts (a stream being read). */
    stopClock: () => clearTimeout(timer),
    clear() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

export function createHttp(opts: HttpOptions): Http {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const retries = opts.retries ?? 2;
  const auth = `Bearer ${opts.apiKey}`;

  const failure = (err: unknown, timedOut: boolean, what: string) =>
    new AssentConnectionError(
      timedOut ? `${what} timed out after ${timeoutMs} ms` : `${what} failed: ${(err as Error)?.message}`,
      { cause: err, timedOut },
    );

  async function call<T>(method: string, path: string, o: CallOptions = {}) {
    const headers: Record<string, string> = { authorization: auth, accept: 'application/json' };
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    if (o.idempotencyKey) headers['idempotency-key'] = o.idempotencyKey;
    const body = o.body === undefined ? undefined : JSON.stringify(o.body);
    const url = urlOf(opts.baseUrl, path, o.query);
    const attempts = o.retry ? retries + 1 : 1;
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= attempts;
      const d = deadline(timeoutMs, o.signal);
      let res: Response;
      let text: string;
      try {
        res = await doFetch(url, { method, headers, body, signal: d.signal });
        if (!last && RETRY_STATUSES.has(res.status)) {
          await res.body?.cancel();
          d.clear();
          const wait = retryAfterMs(res.headers.get('retry-after')) ?? backoffMs(attempt);
          await sleep(Math.min(wait, MAX_DELAY_MS), o.signal);
          continue;
        }
        if (!res.ok) throw await apiErrorOf(res);
        text = await res.text();
      } catch (err) {
        d.clear();
        if (o.signal?.aborted || err instanceof AssentApiError) throw err;
        if (last) throw failure(err, d.timedOut(), `${method} ${path}`);
        await sleep(backoffMs(attempt), o.signal);
        continue;
      }
      d.clear();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    }
  }

  async function stream(method: string, path: string, o: StreamOptions) {
    const d = deadline(timeoutMs, o.signal);
    let res: Response;
    try {
      res = await doFetch(urlOf(opts.baseUrl, path, o.query), {
        method,
        headers: { authorization: auth, 'content-type': o.contentType, accept: o.contentType },
        body: o.body,
        signal: d.signal,
        duplex: 'half',
      } as RequestInit);
    } catch (err) {
      d.clear();
      if (o.signal?.aborted) throw err;
      throw failure(err, d.timedOut(), `${method} ${path}`);
    }
    d.stopClock();
    if (!res.ok) throw await apiErrorOf(res);
    return res;
  }

  async function getPublic<T>(path: string): Promise<T> {
    const d = deadline(timeoutMs);
    try {
      const res = await doFetch(urlOf(opts.baseUrl, path), { signal: d.signal });
      if (!res.ok) throw await apiErrorOf(res);
      return (await res.json()) as T;
    } catch (err) {
      if (err instanceof AssentApiError) throw err;
      throw failure(err, d.timedOut(), `GET ${path}`);
    } finally {
      d.clear();
    }
  }

  return { call, stream, getPublic };
}
