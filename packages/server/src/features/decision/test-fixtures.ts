import type { TestServer } from '../../../test/support/test-server.ts';

/** The catalog every scenario uses: two brands, a topic tree on email, purposes on each legal basis. */
export async function seedCatalog(s: TestServer, key?: string) {
  const post = async (url: string, payload: object) => {
    const res = await s.call({ method: 'POST', url, payload, key });
    if (res.statusCode !== 201) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  };
  await post('/v1/brands', { key: 'acme', name: 'Acme' });
  await post('/v1/brands', { key: 'globex', name: 'Globex' });
  await post('/v1/properties', { key: 'acme-web', name: 'Acme web', brandKey: 'acme', type: 'web' });
  await post('/v1/topics', { key: 'newsletter', name: 'Newsletter', channels: ['email'] });
  await post('/v1/topics', { key: 'weekly', name: 'Weekly', parentKey: 'newsletter', channels: ['email'] });
  await post('/v1/topics', { key: 'offers', name: 'Offers', channels: ['email', 'sms'] });
  await post('/v1/purposes', {
    key: 'analytics',
    name: 'Analytics',
    legalBasis: 'consent',
    category: 'analytics',
  });
  await post('/v1/purposes', { key: 'ads', name: 'Ads', legalBasis: 'consent', category: 'marketing' });
  await post('/v1/purposes', {
    key: 'fraud',
    name: 'Fraud prevention',
    legalBasis: 'legitimate_interest',
    category: 'preferences',
  });
  await post('/v1/purposes', {
    key: 'security',
    name: 'Security',
    legalBasis: 'consent',
    category: 'necessary',
  });
  await post('/v1/vendors', { key: 'adnet', name: 'AdNet', purposes: ['ads'] });
}
