import type { BannerPurpose } from '@assent/core/collect';
import { describe, expect, it } from 'vitest';
import { chosenOnly, effectiveDecisions, isGpcLocked } from './decisions.ts';

const p = (
  key: string,
  category: BannerPurpose['category'],
  sale = false,
  sharing = false,
): BannerPurpose => ({
  key,
  category,
  consentMode: [],
  sale,
  sharing,
  vendors: [],
});
const purposes = [
  p('essential', 'necessary', true),
  p('stats', 'analytics'),
  p('ads', 'marketing', false, true),
];

describe('decisions', () => {
  it('never pre-ticks: only necessary is on without a choice', () => {
    expect(effectiveDecisions(purposes, {}, false)).toEqual({ essential: true, stats: false, ads: false });
  });
  it('keeps necessary on even when refused, and ignores non-boolean values', () => {
    const raw = { essential: false, stats: 'yes' } as unknown as Record<string, boolean>;
    expect(effectiveDecisions(purposes, raw, false)).toEqual({ essential: true, stats: false, ads: false });
  });
  it('locks sale and sharing purposes off under GPC, never necessary ones', () => {
    expect(isGpcLocked(purposes[2], true)).toBe(true);
    expect(isGpcLocked(purposes[2], false)).toBe(false);
    expect(isGpcLocked(purposes[0], true)).toBe(false);
    expect(effectiveDecisions(purposes, { stats: true, ads: true }, true)).toEqual({
      essential: true,
      stats: true,
      ads: false,
    });
  });
  it('leaves necessary purposes out of what is recorded', () => {
    expect(chosenOnly(purposes, { essential: true, stats: true })).toEqual({ stats: true, ads: false });
  });
});
