import autocannon from 'autocannon';

export interface LoadResult {
  /** Successful (2xx) responses per second. */
  rps: number;
  ok: number;
  failed: number;
  p50: number;
  p99: number;
  seconds: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Builds each request's body; called once per request so identifiers vary. */
  body?: () => string;
}

/** Drives HTTP load with autocannon from this process after a short unmeasured warm-up; bounded by duration. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  await measure({ ...opts, seconds: Math.min(2, Math.ceil(opts.seconds / 5)) });
  return measure(opts);
}

async function measure(opts: LoadOptions): Promise<LoadResult> {
  const { body } = opts;
  const instance = autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.seconds,
    timeout: 10,
    method: opts.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...opts.headers },
    requests: body ? [{ setupRequest: (req) => ({ ...req, body: body() }) }] : undefined,
  });
  // a hung server must not hold the bench: stop well after the planned duration
  const guard = setTimeout(() => instance.stop(), (opts.seconds + 30) * 1000);
  try {
    const r = await instance;
    const ok = r['2xx'];
    return {
      rps: ok / r.duration,
      ok,
      failed: r.non2xx + r.errors + r.timeouts,
      p50: r.latency.p50,
      p99: r.latency.p99,
      seconds: r.duration,
    };
  } finally {
    clearTimeout(guard);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];

/**
 * Rounds of one load measured at different times, as one figure: requests/s over all of them
 * (successes / seconds), failures summed, and the median round's p50 and p99 (autocannon keeps no
 * histogram to merge).
 */
export function pooled(rounds: LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => rounds.reduce((n, r) => n + f(r), 0);
  const seconds = sum((r) => r.seconds);
  return {
    rps: sum((r) => r.ok) / seconds,
    ok: sum((r) => r.ok),
    failed: sum((r) => r.failed),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    seconds,
  };
}

/** A small fast PRNG (mulberry32) so runs pick the same identifiers. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
