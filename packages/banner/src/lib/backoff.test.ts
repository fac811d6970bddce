import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  it('starts at about one second and doubles', () => {
    expect(backoffDelay(0, 1)).toBe(1000);
    expect(backoffDelay(1, 1)).toBe(2000);
    expect(backoffDelay(3, 1)).toBe(8000);
  });
  it('never waits more than 60 s', () => {
    for (const n of [6, 7, 20, 100]) expect(backoffDelay(n, 1)).toBe(60_000);
  });
  it('jitters between half and the whole delay', () => {
    expect(backoffDelay(2, 0)).toBe(2000);
    expect(backoffDelay(2, 0.5)).toBe(3000);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(4, Math.random());
      expect(d).toBeGreaterThanOrEqual(8000);
      expect(d).toBeLessThanOrEqual(16_000);
    }
  });
});
