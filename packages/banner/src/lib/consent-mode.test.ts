import type { BannerPurpose } from '@assent/core/collect';
import { describe, expect, it } from 'vitest';
import { consentModeDefault, consentModeUpdate } from './consent-mode.ts';
import { effectiveDecisions } from './decisions.ts';

const purpose = (
  key: string,
  category: BannerPurpose['category'],
  consentMode: BannerPurpose['consentMode'],
  sale = false,
): BannerPurpose => ({
  key,
  category,
  consentMode,
  sale,
  sharing: false,
  vendors: [],
});
const purposes = [
  purpose('necessary', 'necessary', ['functionality_storage']),
  purpose('analytics', 'analytics', ['analytics_storage']),
  purpose('ads', 'marketing', ['ad_storage', 'ad_user_data', 'ad_personalization'], true),
];

describe('Consent Mode v2 mapping', () => {
  it('denies everything but security storage by default', () => {
    expect(consentModeDefault({ enabled: true, waitForUpdate: 500, regions: [] })).toEqual({
      ad_storage: 'denied',
      ad_user_data: 'denied',
      ad_personalization: 'denied',
      analytics_storage: 'denied',
      functionality_storage: 'denied',
      personalization_storage: 'denied',
      security_storage: 'granted',
      wait_for_update: 500,
    });
  });
  it('adds regions only when there are some', () => {
    expect(consentModeDefault({ enabled: true, waitForUpdate: 0, regions: ['FR', 'US-CA'] }).region).toEqual([
      'FR',
      'US-CA',
    ]);
  });
  it('grants a type iff a granted purpose lists it; necessary counts as granted', () => {
    const d = effectiveDecisions(purposes, { analytics: true }, false);
    expect(consentModeUpdate(purposes, d)).toEqual({
      ad_storage: 'denied',
      ad_user_data: 'denied',
      ad_personalization: 'denied',
      analytics_storage: 'granted',
      functionality_storage: 'granted',
      personalization_storage: 'denied',
      security_storage: 'granted',
    });
  });
  it('keeps ads denied under GPC even when everything is accepted', () => {
    const d = effectiveDecisions(purposes, { analytics: true, ads: true }, true);
    expect(d).toEqual({ necessary: true, analytics: true, ads: false });
    expect(consentModeUpdate(purposes, d).ad_storage).toBe('denied');
  });
});
