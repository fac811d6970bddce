/**
 * The same consent notice twice, as a real news site would set it up: necessary, analytics and
 * marketing purposes with their vendors, in English and French. Once as Assent's BannerConfig,
 * once as vanilla-cookieconsent's `CookieConsent.run({...})` options.
 */
import type { BannerConfig } from '@assent/core/collect';
import { defaultLabels } from '../packages/banner/src/labels.ts';

const texts = {
  en: {
    body: '<p>We and our partners use cookies to keep the site secure, to measure our audience and, with your consent, to show you <strong>relevant ads</strong>. You can change your mind at any time from the footer.</p>',
    necessary: ['Strictly necessary', 'Keeps the site secure, remembers your choice and balances the load.'],
    analytics: [
      'Audience measurement',
      'Counts visits and the articles read, so we know what to write next.',
    ],
    marketing: ['Advertising', 'Shows ads based on your interests and measures how well they work.'],
  },
  fr: {
    body: '<p>Nos partenaires et nous utilisons des cookies pour sécuriser le site, mesurer notre audience et, avec votre accord, vous montrer des <strong>publicités pertinentes</strong>. Vous pouvez changer d’avis à tout moment depuis le pied de page.</p>',
    necessary: [
      'Strictement nécessaires',
      'Sécurisent le site, retiennent votre choix et répartissent la charge.',
    ],
    analytics: [
      'Mesure d’audience',
      'Compte les visites et les articles lus, pour savoir quoi écrire ensuite.',
    ],
    marketing: ['Publicité', 'Affiche des publicités selon vos centres d’intérêt et mesure leur efficacité.'],
  },
};

const vendors = {
  necessary: [{ key: 'cdn', name: 'Bunny CDN', privacyPolicyUrl: 'https://bunny.net/privacy', cookies: [] }],
  analytics: [
    {
      key: 'ga',
      name: 'Google Analytics',
      privacyPolicyUrl: 'https://policies.google.com/privacy',
      cookies: ['_ga', '_ga_*'],
    },
    {
      key: 'hotjar',
      name: 'Hotjar',
      privacyPolicyUrl: 'https://www.hotjar.com/legal/policies/privacy/',
      cookies: ['_hj*'],
    },
  ],
  marketing: [
    {
      key: 'gads',
      name: 'Google Ads',
      privacyPolicyUrl: 'https://policies.google.com/privacy',
      cookies: ['_gcl_au'],
    },
    {
      key: 'meta',
      name: 'Meta Pixel',
      privacyPolicyUrl: 'https://www.facebook.com/privacy/policy',
      cookies: ['_fbp'],
    },
    {
      key: 'criteo',
      name: 'Criteo',
      privacyPolicyUrl: 'https://www.criteo.com/privacy/',
      cookies: ['cto_bundle'],
    },
  ],
};

type Lang = keyof typeof texts;
const purposeTexts = (lang: Lang) =>
  Object.fromEntries(
    (['necessary', 'analytics', 'marketing'] as const).map((k) => [
      k,
      { name: texts[lang][k][0], description: texts[lang][k][1] },
    ]),
  );

export function assentConfig(endpoint: string): BannerConfig {
  return {
    propertyKey: 'bench',
    endpoint,
    consentGroup: null,
    defaultLanguage: 'en',
    languages: {
      en: {
        noticeVersionId: 'nv_en_3',
        body: texts.en.body,
        labels: defaultLabels.en,
        purposes: purposeTexts('en'),
      },
      fr: {
        noticeVersionId: 'nv_fr_3',
        body: texts.fr.body,
        labels: defaultLabels.fr,
        purposes: purposeTexts('fr'),
      },
    },
    purposes: [
      {
        key: 'necessary',
        category: 'necessary',
        consentMode: ['security_storage'],
        sale: false,
        sharing: false,
        vendors: vendors.necessary,
      },
      {
        key: 'analytics',
        category: 'analytics',
        consentMode: ['analytics_storage'],
        sale: false,
        sharing: false,
        vendors: vendors.analytics,
      },
      {
        key: 'marketing',
        category: 'marketing',
        consentMode: ['ad_storage', 'ad_user_data', 'ad_personalization'],
        sale: true,
        sharing: true,
        vendors: vendors.marketing,
      },
    ],
    revision: 'rev-3',
    choiceDays: 182,
    privacyPolicyUrl: '/privacy',
    theme: { primary: '#0f766e' },
    consentMode: { enabled: true, waitForUpdate: 500, regions: [] },
    cookieWall: null,
    variant: 'A',
  };
}

/** vanilla-cookieconsent's translation for one language, with the vendors as cookie tables. */
function vanillaTranslation(lang: Lang) {
  const l = defaultLabels[lang];
  const t = texts[lang];
  const table = (list: (typeof vendors)['analytics']) => ({
    headers: { name: 'Cookie', domain: 'Partner', description: 'Policy' },
    body: list.flatMap((v) =>
      v.cookies.map((c) => ({ name: c, domain: v.name, description: v.privacyPolicyUrl ?? '' })),
    ),
  });
  const section = (k: 'necessary' | 'analytics' | 'marketing') => ({
    title: t[k][0],
    description: `${t[k][1]} ${l.vendors}: ${vendors[k].map((v) => v.name).join(', ')}.`,
    linkedCategory: k,
    ...(k === 'necessary' ? {} : { cookieTable: table(vendors[k]) }),
  });
  return {
    consentModal: {
      title: l.title,
      description: t.body.replace(/<\/?p>/g, ''),
      acceptAllBtn: l.acceptAll,
      acceptNecessaryBtn: l.rejectAll,
      showPreferencesBtn: l.customize,
      closeIconLabel: l.close,
      footer: `<a href="/privacy">${l.privacyPolicy}</a>`,
    },
    preferencesModal: {
      title: l.title,
      acceptAllBtn: l.acceptAll,
      acceptNecessaryBtn: l.rejectAll,
      savePreferencesBtn: l.save,
      closeIconLabel: l.close,
      sections: [
        { title: l.title, description: t.body.replace(/<\/?p>/g, '') },
        section('necessary'),
        section('analytics'),
        section('marketing'),
      ],
    },
  };
}

/** The deferred same-origin config script a vanilla-cookieconsent site ships beside the UMD build. */
export function vanillaConfigScript(): string {
  const translations = JSON.stringify({ en: vanillaTranslation('en'), fr: vanillaTranslation('fr') });
  // hideFromBots (default on) hides the banner from navigator.webdriver, which Playwright sets
  return `CookieConsent.run({
  hideFromBots: false,
  guiOptions: {
    consentModal: { layout: 'bar inline', position: 'bottom', equalWeightButtons: true },
    preferencesModal: { layout: 'box', equalWeightButtons: true },
  },
  categories: {
    necessary: { enabled: true, readOnly: true },
    analytics: { autoClear: { cookies: [{ name: /^_ga/ }, { name: /^_hj/ }] } },
    marketing: { autoClear: { cookies: [{ name: '_gcl_au' }, { name: '_fbp' }, { name: 'cto_bundle' }] } },
  },
  language: { default: 'en', autoDetect: 'browser', translations: ${translations} },
});
`;
}
