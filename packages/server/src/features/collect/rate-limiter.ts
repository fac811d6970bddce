/**
 * Counts requests per key (IP and property) in fixed one-minute windows, in memory. Enough for
 * one process; the window is short, so a restart forgets little.
 */
export function createRateLimiter(opts: { perMinute: number; maxKeys?: number }) {
  const maxKeys = opts.maxKeys ?? 100_000;
  let window = 0;
  let counts = new Map<string, number>();
  return {
    /** Counts one request; false when the key is over its budget for this minute. */
    take(key: string, cost = 1): boolean {
      const now = Math.floor(Date.now() / 60_000);
      if (now !== window || counts.size >= maxKeys) {
        window = now;
        counts = new Map();
      }
      const n = (counts.get(key) ?? 0) + cost;
      counts.set(key, n);
      return n <= opts.perMinute;
    },
    /** Seconds until the current window ends. */
    retryAfter(): number {
      return 60 - Math.floor((Date.now() / 1000) % 60);
    },
  };
}
