import { describe, expect, it } from 'vitest';
import { decodeChoice, encodeChoice, isChoiceCurrent, type StoredChoice } from './choice-codec.ts';

const choice: StoredChoice = {
  a: '5b1f0c1e-6a3f-4a6e-9a57-2f1b7e0e5d11',
  d: { analytics: true, marketing: false },
  n: 'nv_1',
  r: 'rev-1',
  t: Date.UTC(2026, 0, 1),
  g: false,
};

describe('choice cookie codec', () => {
  it('round-trips and stays cookie-safe', () => {
    const v = encodeChoice(choice);
    expect(v).not.toMatch(/[\s;,"\\]/);
    expect(decodeChoice(v)).toEqual(choice);
  });
  it('rejects garbage and foreign shapes', () => {
    expect(decodeChoice(null)).toBeNull();
    expect(decodeChoice('%E0%A4%A')).toBeNull();
    expect(decodeChoice('not json')).toBeNull();
    expect(decodeChoice(encodeURIComponent('{"a":1}'))).toBeNull();
    expect(decodeChoice(encodeURIComponent(JSON.stringify({ ...choice, d: null })))).toBeNull();
  });
  it('is current until the revision changes or choiceDays pass', () => {
    const day = 864e5;
    expect(isChoiceCurrent(choice, 'rev-1', 182, choice.t + 181 * day)).toBe(true);
    expect(isChoiceCurrent(choice, 'rev-1', 182, choice.t + 182 * day)).toBe(false);
    expect(isChoiceCurrent(choice, 'rev-2', 182, choice.t)).toBe(false);
  });
  it('does not count the automatic GPC record as a choice', () => {
    expect(isChoiceCurrent({ ...choice, x: 1 }, 'rev-1', 182, choice.t)).toBe(false);
  });
});
