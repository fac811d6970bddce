/** Retry delay after `attempt` failures: 1 s doubling, capped at 60 s, with jitter so tabs do not retry in step. */
export function backoffDelay(attempt: number, random: number): number {
  const cap = Math.min(60_000, 1000 * 2 ** attempt);
  return Math.round(cap * (0.5 + random / 2));
}
