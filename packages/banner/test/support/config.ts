import type { BannerConfig, BannerPurpose } from '@assent/core/collect';
import { defaultLabels } from '../../src/labels.ts';

const purposes: BannerPurpose[] = [
  {
    key: 'necessary',
    category: 'necessary',
    consentMode: ['security_storage'],
    sale: false,
    sharing: false,
    vendors: [],
  },
  {
    key: 'analytics',
    category: 'analytics',
    consentMode: ['analytics_storage'],
    sale: false,
    sharing: false,
    vendors: [
      {
        key: 'ga',
        name: 'Google Analytics',
        privacyPolicyUrl: 'https://policies.google.com/privacy',
        cookies: ['_ga', '_ga_*'],
      },
    ],
  },
  {
    key: 'marketing',
    category: 'marketing',
    consentMode: ['ad_storage', 'ad_user_data', 'ad_personalization'],
    sale: true,
    sharing: true,
    vendors: [{ key: 'meta', name: 'Meta', privacyPolicyUrl: null, cookies: ['_fbp'] }],
  },
];

/** A property with necessary, analytics and a marketing purpose that GPC opts out of. */
export function testConfig(endpoint: string, over: Partial<BannerConfig> = {}): BannerConfig {
  return {
    propertyKey: 'test',
    endpoint,
    consentGroup: null,
    defaultLanguage: 'en',
    languages: {
      en: {
        noticeVersionId: 'nv_en_1',
        body: '<p>We use cookies to measure our audience and, with your consent, to show you <strong>relevant ads</strong>. You can change your mind at any time.</p>',
        labels: defaultLabels.en,
        purposes: {
          necessary: { name: 'Strictly necessary', description: 'Keeps the site secure and working.' },
          analytics: { name: 'Audience measurement', description: 'Counts visits to improve the site.' },
          marketing: { name: 'Advertising', description: 'Shows ads based on your interests.' },
        },
      },
      fr: {
        noticeVersionId: 'nv_fr_1',
        body: '<p>Nous utilisons des cookies.</p>',
        labels: defaultLabels.fr,
        purposes: {},
      },
    },
    purposes,
    revision: 'rev-1',
    choiceDays: 182,
    privacyPolicyUrl: '/privacy',
    theme: {},
    consentMode: { enabled: true, waitForUpdate: 500, regions: [] },
    cookieWall: null,
    variant: 'A',
    ...over,
  };
}
