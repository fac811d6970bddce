import type { Db } from '../db/database.ts';
import { createCatalogService } from '../features/catalog/catalog-service.ts';
import { createCatalogStore } from '../features/catalog/catalog-store.ts';
import { createNoticeVersion } from '../features/catalog/notice-version-service.ts';
import type { Actor } from '../http/context.ts';

const BANNER_EN = `<p><strong>Acme values your privacy.</strong> We use cookies that are necessary for this site to work.
With your consent we also use analytics cookies to understand how the site is used, and marketing cookies
to show you relevant offers on other sites. You can accept, refuse or choose, and change your mind at any
time from the "Privacy choices" link at the bottom of every page.</p>`;

const BANNER_FR = `<p><strong>Acme respecte votre vie privée.</strong> Nous utilisons des cookies nécessaires au
fonctionnement du site. Avec votre accord, nous utilisons aussi des cookies de mesure d'audience pour comprendre
l'usage du site, et des cookies publicitaires pour vous proposer des offres pertinentes sur d'autres sites.
Vous pouvez accepter, refuser ou choisir, et changer d'avis à tout moment via le lien « Vos choix » en bas de
chaque page.</p>`;

const BANNER_ID = `<p><strong>Acme menghargai privasi Anda.</strong> Kami menggunakan cookie yang diperlukan agar situs ini
berfungsi. Dengan persetujuan Anda, kami juga menggunakan cookie analitik untuk memahami cara situs digunakan, dan
cookie pemasaran untuk menampilkan penawaran yang relevan di situs lain. Anda dapat menerima, menolak, atau memilih,
dan mengubah pilihan kapan saja melalui tautan "Pilihan privasi" di bagian bawah setiap halaman.</p>`;

/** Seeds the demo workspace's catalog; does nothing when the brand `acme` is already there. */
export async function seedDemo(db: Db, workspaceId: string): Promise<void> {
  const actor: Actor = { workspaceId, actor: 'system', requestId: 'seed-demo' };
  const catalog = createCatalogService(db.kysely);
  await db.kysely.transaction().execute(async (trx) => {
    if (await createCatalogStore(trx).byKey(workspaceId, 'brand', 'acme')) return;
    await catalog.create(trx, actor, 'brand', {
      key: 'acme',
      name: 'Acme',
      contact: { email: 'privacy@acme.example' },
      theme: { primary: '#0a58ca', background: '#ffffff', text: '#1f2328' },
    });
    await catalog.create(trx, actor, 'property', {
      key: 'acme-web',
      name: 'acme.example',
      brandKey: 'acme',
      type: 'web',
      domains: ['localhost', '127.0.0.1', 'acme.example'],
      settings: { banner: { privacyPolicyUrl: 'https://acme.example/privacy', defaultLanguage: 'en' } },
    });
    await catalog.create(trx, actor, 'purpose', {
      key: 'necessary',
      name: 'Strictly necessary',
      description: 'Keeps the site secure and working: sign-in, basket, fraud prevention.',
      legalBasis: 'contract',
      category: 'necessary',
      consentMode: ['security_storage', 'functionality_storage'],
      translations: {
        fr: {
          name: 'Strictement nécessaires',
          description:
            'Assurent la sécurité et le fonctionnement du site : connexion, panier, lutte contre la fraude.',
        },
        id: {
          name: 'Sangat diperlukan',
          description: 'Menjaga situs tetap aman dan berfungsi: masuk akun, keranjang, pencegahan penipuan.',
        },
      },
    });
    await catalog.create(trx, actor, 'purpose', {
      key: 'analytics',
      name: 'Audience measurement',
      description: 'Counts visits and measures how pages are used, to improve the site.',
      legalBasis: 'consent',
      category: 'analytics',
      consentMode: ['analytics_storage'],
      tcfPurposes: [8, 9],
      expiresAfterDays: 395,
      translations: {
        fr: {
          name: "Mesure d'audience",
          description: 'Compte les visites et mesure l’usage des pages, pour améliorer le site.',
        },
        id: {
          name: 'Pengukuran audiens',
          description: 'Menghitung kunjungan dan mengukur penggunaan halaman untuk meningkatkan situs.',
        },
      },
    });
    await catalog.create(trx, actor, 'purpose', {
      key: 'marketing',
      name: 'Personalised advertising',
      description: 'Shows you Acme offers on other sites and measures their performance.',
      legalBasis: 'consent',
      category: 'marketing',
      consentMode: ['ad_storage', 'ad_user_data', 'ad_personalization'],
      tcfPurposes: [1, 2, 3, 4, 7],
      expiresAfterDays: 395,
      sale: true,
      sharing: true,
      translations: {
        fr: {
          name: 'Publicité personnalisée',
          description: 'Vous montre des offres Acme sur d’autres sites et mesure leur efficacité.',
        },
        id: {
          name: 'Iklan yang dipersonalisasi',
          description: 'Menampilkan penawaran Acme di situs lain dan mengukur kinerjanya.',
        },
      },
    });
    await catalog.create(trx, actor, 'vendor', {
      key: 'google-analytics',
      name: 'Google Analytics',
      purposes: ['analytics'],
      privacyPolicyUrl: 'https://policies.google.com/privacy',
      cookies: ['_ga', '_gid'],
    });
    await catalog.create(trx, actor, 'vendor', {
      key: 'meta-pixel',
      name: 'Meta Pixel',
      purposes: ['marketing'],
      privacyPolicyUrl: 'https://www.facebook.com/privacy/policy/',
      cookies: ['_fbp'],
    });
    await catalog.create(trx, actor, 'topic', {
      key: 'newsletter',
      name: 'Newsletter',
      channels: ['email'],
      brandKey: 'acme',
      description: 'News from Acme.',
    });
    await catalog.create(trx, actor, 'topic', {
      key: 'weekly',
      name: 'Weekly digest',
      parentKey: 'newsletter',
      channels: ['email'],
      brandKey: 'acme',
      description: 'The best of the week, every Monday.',
    });
    await catalog.create(trx, actor, 'topic', {
      key: 'offers',
      name: 'Offers and promotions',
      channels: ['email', 'sms'],
      brandKey: 'acme',
      description: 'Sales, coupons and early access.',
    });
    const banner = await catalog.create(trx, actor, 'notice', {
      key: 'acme-banner',
      name: 'Cookie banner',
      kind: 'banner',
      brandKey: 'acme',
      propertyKey: 'acme-web',
    });
    await createNoticeVersion(trx, actor, banner.id, { language: 'en', content: BANNER_EN });
    await createNoticeVersion(trx, actor, banner.id, { language: 'fr', content: BANNER_FR });
    await createNoticeVersion(trx, actor, banner.id, { language: 'id', content: BANNER_ID });
  });
}
