import { describe, expect, it } from 'vitest';
import { type LoadResult, pooled, random } from './load.ts';

const round = (ok: number, seconds: number, p99: number, failed = 0): LoadResult => ({
  rps: ok / seconds,
  ok,
  failed,
  p50: p99 / 2,
  p99,
  seconds,
});

describe('pooled', () => {
  it('makes one figure of rounds: successes over all their seconds, failures summed, the median p99', () => {
    // a short fast round and a long slow one: the pooled rate weighs each by its seconds
    const r = pooled([round(30_000, 1, 4), round(40_000, 4, 9, 2), round(12_000, 1, 5)]);
    expect(r.rps).toBeCloseTo(82_000 / 6);
    expect(r.ok).toBe(82_000);
    expect(r.seconds).toBe(6);
    expect(r.failed).toBe(2);
    expect(r.p99).toBe(5);
    expect(r.p50).toBe(2.5);
  });

  it('is the round itself for one round, and takes the lower middle of an even count', () => {
    expect(pooled([round(5000, 5, 3)])).toEqual(round(5000, 5, 3));
    expect(pooled([round(1, 1, 8), round(1, 1, 2)]).p99).toBe(2);
  });
});

describe('random', () => {
  it('draws the same numbers in [0, 1) for the same seed, and others for another', () => {
    const draw = (seed: number) => Array.from({ length: 1000 }, random(seed));
    const a = draw(7);
    expect(draw(7)).toEqual(a);
    expect(draw(8)).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    // spread over the interval, not clustered
    expect(a.filter((x) => x < 0.5).length).toBeGreaterThan(400);
    expect(a.filter((x) => x < 0.5).length).toBeLessThan(600);
  });
});
