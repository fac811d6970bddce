import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../test/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { seedCatalog } from './test-fixtures.ts';

const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();

describe.each(testDatabases())('the decision on %s', (kind) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(kind);
    await seedCatalog(s);
  });
  afterAll(() => s.close());

  type Decision = {
    target: { type: string; key: string };
    channel?: string;
    state: string;
    expiresAt?: string;
  };
  async function record(email: string, decisions: Decision[], extra: object = {}) {
    const res = await s.call({
      method: 'POST',
      url: '/v1/consents',
      payload: {
        subject: { identifiers: [{ type: 'email', value: email }] },
        decisions,
        source: 'form',
        ...extra,
      },
    });
    if (res.statusCode !== 201) throw new Error(`consents: ${res.statusCode} ${res.body}`);
    return res.json() as { subjectId: string; records: { id: string }[] };
  }
  const topic = (key: string, state: string): Decision => ({
    target: { type: 'topic', key },
    channel: 'email',
    state,
  });
  const check = async (body: object, key?: string) => {
    const res = await s.call({ method: 'POST', url: '/v1/check', payload: body, key });
    return { status: res.statusCode, body: res.json() };
  };
  const mayEmail = async (email: string, extra: object = {}) =>
    (await check({ subject: { identifier: { type: 'email', value: email } }, channel: 'email', ...extra }))
      .body;

  it('keeps "weekly" refused when it was left after subscribing to the newsletter', async () => {
    await record('weekly@example.com', [topic('newsletter', 'granted')], { occurredAt: daysAgo(3) });
    const left = await record('weekly@example.com', [topic('weekly', 'withdrawn')], {
      occurredAt: daysAgo(2),
    });
    await record('weekly@example.com', [topic('newsletter', 'granted')], { occurredAt: daysAgo(1) });
    const weekly = await mayEmail('Weekly@Example.com', { topic: 'weekly' });
    expect(weekly).toMatchObject({ allowed: false, reason: 'withdrawn', record: { id: left.records[0].id } });
    expect(weekly.explanation).toMatch(
      /^The person withdrew consent to the email weekly on \d{4}-\d\d-\d\d through a form\.$/,
    );
    expect(await mayEmail('weekly@example.com', { topic: 'newsletter' })).toMatchObject({
      allowed: true,
      reason: 'granted',
    });
  });

  it('lets "unsubscribe from all" beat earlier topic grants, and a later topic grant re-enable just it', async () => {
    await record('all@example.com', [topic('newsletter', 'granted'), topic('weekly', 'granted')], {
      occurredAt: daysAgo(5),
    });
    const all = await record(
      'all@example.com',
      [{ target: { type: 'channel', key: 'email' }, state: 'withdrawn' }],
      {
        source: 'email_unsubscribe',
        occurredAt: daysAgo(4),
      },
    );
    const res = await mayEmail('all@example.com', { topic: 'weekly' });
    expect(res).toMatchObject({
      allowed: false,
      reason: 'withdrawn',
      record: {
        id: all.records[0].id,
        source: 'email_unsubscribe',
        target: { type: 'channel', key: 'email' },
      },
    });
    expect(res.explanation).toContain('withdrew consent to all email messages');
    expect(res.explanation).toContain('by unsubscribe link, which covers the email weekly.');

    const again = await record('all@example.com', [topic('weekly', 'granted')], { occurredAt: daysAgo(3) });
    expect(await mayEmail('all@example.com', { topic: 'weekly' })).toMatchObject({
      allowed: true,
      record: { id: again.records[0].id },
    });
    expect((await mayEmail('all@example.com', { topic: 'newsletter' })).reason).toBe('withdrawn');
    expect((await mayEmail('all@example.com')).reason).toBe('withdrawn');
  });

  it('puts brand scope before workspace scope', async () => {
    await record('brand@example.com', [topic('newsletter', 'withdrawn')], { occurredAt: daysAgo(2) });
    const acme = await record('brand@example.com', [topic('newsletter', 'granted')], {
      scope: { brand: 'acme' },
      occurredAt: daysAgo(1),
    });
    expect(await mayEmail('brand@example.com', { topic: 'newsletter', brand: 'acme' })).toMatchObject({
      allowed: true,
      record: { id: acme.records[0].id, scope: { type: 'brand', key: 'acme' } },
    });
    // the property's brand applies when the brand is left out
    expect((await mayEmail('brand@example.com', { topic: 'newsletter', property: 'acme-web' })).allowed).toBe(
      true,
    );
    expect((await mayEmail('brand@example.com', { topic: 'newsletter', brand: 'globex' })).reason).toBe(
      'withdrawn',
    );
    expect((await mayEmail('brand@example.com', { topic: 'newsletter' })).reason).toBe('withdrawn');
  });

  it('refuses a suppressed identifier whatever the grants, by identifier and by subject id', async () => {
    const { subjectId } = await record('bounce@example.com', [topic('newsletter', 'granted')]);
    const sup = await s.call({
      method: 'POST',
      url: '/v1/suppressions',
      payload: {
        identifier: { type: 'email', value: 'BOUNCE@example.com' },
        channel: 'email',
        reason: 'hard_bounce',
      },
    });
    expect(sup.statusCode).toBe(201);
    expect(await mayEmail('bounce@example.com', { topic: 'newsletter' })).toMatchObject({
      allowed: false,
      reason: 'suppressed',
      record: null,
    });
    const byId = await check({ subject: { id: subjectId }, channel: 'email', topic: 'newsletter' });
    expect(byId.body.reason).toBe('suppressed');
    // another channel is not suppressed
    expect((await mayEmail('bounce@example.com', { purpose: 'analytics', channel: undefined })).reason).toBe(
      'no_consent',
    );
    await s.call({ method: 'DELETE', url: `/v1/suppressions/${sup.json().id}` });
    expect((await mayEmail('bounce@example.com', { topic: 'newsletter' })).reason).toBe('granted');
  });

  it("counts the person's address when asked by another identifier, and only that address", async () => {
    const res = await s.call({
      method: 'POST',
      url: '/v1/consents',
      payload: {
        subject: {
          identifiers: [
            { type: 'email', value: 'home@example.com' },
            { type: 'email', value: 'work@example.com' },
            { type: 'customer_id', value: 'C-42' },
          ],
        },
        decisions: [topic('newsletter', 'granted')],
        source: 'form',
      },
    });
    const { subjectId } = res.json();
    await s.call({
      method: 'POST',
      url: '/v1/suppressions',
      payload: {
        identifier: { type: 'email', value: 'home@example.com' },
        channel: 'email',
        reason: 'complaint',
      },
    });
    const ask = (subject: object) => check({ subject, channel: 'email', topic: 'newsletter' });
    expect((await ask({ identifier: { type: 'customer_id', value: 'C-42' } })).body.reason).toBe(
      'suppressed',
    );
    expect((await ask({ id: subjectId })).body.reason).toBe('suppressed');
    expect((await ask({ identifier: { type: 'email', value: 'work@example.com' } })).body.reason).toBe(
      'granted',
    );
    expect((await ask({ identifier: { type: 'email', value: 'home@example.com' } })).body.reason).toBe(
      'suppressed',
    );
  });

  it("answers for a merged subject's survivor, by either id", async () => {
    const a = await record('merge-a@example.com', [topic('newsletter', 'granted')], {
      occurredAt: daysAgo(2),
    });
    const b = await record('merge-b@example.com', [topic('newsletter', 'withdrawn')], {
      occurredAt: daysAgo(1),
    });
    const merged = await s.call({
      method: 'POST',
      url: `/v1/subjects/${a.subjectId}/merge`,
      payload: { from: b.subjectId },
    });
    expect(merged.statusCode).toBeLessThan(300);
    for (const subject of [
      { id: a.subjectId },
      { id: b.subjectId },
      { identifier: { type: 'email', value: 'merge-b@example.com' } },
    ]) {
      expect((await check({ subject, channel: 'email', topic: 'newsletter' })).body.reason).toBe('withdrawn');
    }
  });

  it('answers an unknown subject as one with no records', async () => {
    expect(await mayEmail('nobody@example.com', { topic: 'newsletter' })).toEqual({
      allowed: false,
      reason: 'no_consent',
      explanation: 'The person has not consented to the email newsletter.',
      record: null,
    });
    const byId = await check({ subject: { id: '01900000-0000-7000-8000-000000000000' }, purpose: 'fraud' });
    expect(byId.body).toMatchObject({ allowed: true, reason: 'legitimate_interest' });
  });

  it('uses the legal basis: legitimate interest until objected, necessary always', async () => {
    const subject = { identifier: { type: 'email', value: 'li@example.com' } };
    expect((await check({ subject, purpose: 'fraud' })).body).toMatchObject({
      allowed: true,
      reason: 'legitimate_interest',
    });
    await record('li@example.com', [{ target: { type: 'purpose', key: 'fraud' }, state: 'denied' }]);
    expect((await check({ subject, purpose: 'fraud' })).body).toMatchObject({
      allowed: false,
      reason: 'objected',
    });
    await record('li@example.com', [{ target: { type: 'purpose', key: 'security' }, state: 'denied' }]);
    expect((await check({ subject, purpose: 'security' })).body).toMatchObject({
      allowed: true,
      reason: 'not_required',
    });
  });

  it('treats an expired grant as absent', async () => {
    const r = await record(
      'expired@example.com',
      [{ target: { type: 'purpose', key: 'analytics' }, state: 'granted', expiresAt: daysAgo(1) }],
      { occurredAt: daysAgo(10) },
    );
    const res = await check({
      subject: { identifier: { type: 'email', value: 'expired@example.com' } },
      purpose: 'analytics',
    });
    expect(res.body).toMatchObject({ allowed: false, reason: 'expired', record: { id: r.records[0].id } });
    expect(res.body.explanation).toContain('expired on');
  });

  it("refuses a vendor the person refused, and names the person from the subject's attributes", async () => {
    const res = await s.call({
      method: 'POST',
      url: '/v1/consents',
      payload: {
        subject: {
          identifiers: [{ type: 'email', value: 'ana@example.com' }],
          attributes: { firstName: 'Ana' },
        },
        decisions: [
          { target: { type: 'purpose', key: 'ads' }, state: 'granted' },
          { target: { type: 'vendor', key: 'adnet' }, state: 'denied' },
        ],
        source: 'banner',
      },
    });
    const { subjectId } = res.json();
    const subject = { id: subjectId };
    expect((await check({ subject, purpose: 'ads' })).body).toMatchObject({
      allowed: true,
      reason: 'granted',
    });
    const vendor = (await check({ subject, purpose: 'ads', vendor: 'adnet' })).body;
    expect(vendor).toMatchObject({
      allowed: false,
      reason: 'denied',
      record: { target: { type: 'vendor', key: 'adnet' } },
    });
    expect(vendor.explanation).toMatch(/^Ana refused the vendor adnet on .* in the cookie banner/);
  });

  it('answers a check by identifier with every field of the deciding record and the name from the attributes', async () => {
    const occurredAt = daysAgo(2);
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const res = await s.call({
      method: 'POST',
      url: '/v1/consents',
      payload: {
        subject: {
          identifiers: [{ type: 'email', value: 'bea@example.com' }],
          attributes: { firstName: 'Bea' },
        },
        decisions: [
          { target: { type: 'purpose', key: 'ads' }, state: 'granted', expiresAt },
          { target: { type: 'topic', key: 'newsletter' }, channel: 'email', state: 'withdrawn' },
        ],
        source: 'banner',
        occurredAt,
      },
    });
    expect(res.statusCode).toBe(201);
    const [ads, newsletter] = res.json().records as { id: string }[];
    const subject = { identifier: { type: 'email', value: 'Bea@Example.com' } };
    const byPurpose = (await check({ subject, purpose: 'ads' })).body;
    expect(byPurpose).toEqual({
      allowed: true,
      reason: 'granted',
      explanation: expect.stringMatching(/^Bea /),
      record: {
        id: ads.id,
        occurredAt,
        source: 'banner',
        state: 'granted',
        target: { type: 'purpose', key: 'ads' },
        channel: null,
        scope: { type: 'workspace', key: null },
        expiresAt,
      },
    });
    const byTopic = (await check({ subject, channel: 'email', topic: 'newsletter' })).body;
    expect(byTopic).toMatchObject({
      allowed: false,
      reason: 'withdrawn',
      record: {
        id: newsletter.id,
        channel: 'email',
        target: { type: 'topic', key: 'newsletter' },
        expiresAt: null,
      },
    });
    expect(byTopic.explanation).toMatch(/^Bea withdrew consent to the email newsletter/);
  });

  it('rejects malformed and unknown questions with a problem naming the field', async () => {
    const subject = { identifier: { type: 'email', value: 'x@example.com' } };
    const unknown = await check({ subject, channel: 'email', topic: 'nope' });
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ type: '/problems/unprocessable', errors: [{ pointer: '/topic' }] });
    expect(unknown.body.detail).toContain('No topic with key "nope"');
    expect((await check({ subject, channel: 'email', brand: 'nope' })).body.errors[0].pointer).toBe('/brand');
    expect((await check({ subject, purpose: 'nope' })).status).toBe(422);
    expect((await check({ subject, channel: 'email', purpose: 'ads' })).status).toBe(422);
    expect((await check({ subject })).status).toBe(422);
    expect((await check({ subject, purpose: 'ads', topic: 'newsletter' })).status).toBe(422);
    const badEmail = await check({
      subject: { identifier: { type: 'email', value: 'not-an-email' } },
      channel: 'email',
    });
    expect(badEmail.status).toBe(422);
    expect(badEmail.body.errors[0].pointer).toBe('/subject/identifier/value');
    expect((await check({ subject, channel: 'fax' })).status).toBe(400);
    expect((await check({ subject, channel: 'email', extra: 1 })).status).toBe(400);
  });

  it('sees a topic created just before the check (no stale catalog cache on a miss)', async () => {
    const subject = { identifier: { type: 'email', value: 'fresh@example.com' } };
    expect((await check({ subject, channel: 'email', topic: 'fresh' })).status).toBe(422);
    await s.call({
      method: 'POST',
      url: '/v1/topics',
      payload: { key: 'fresh', name: 'Fresh', channels: ['email'] },
    });
    await new Promise((r) => setTimeout(r, 250));
    expect((await check({ subject, channel: 'email', topic: 'fresh' })).status).toBe(200);
  });

  it('answers a batch in order, and fails it whole naming the bad check', async () => {
    await record('batch@example.com', [topic('newsletter', 'granted')]);
    const subject = (email: string) => ({ identifier: { type: 'email', value: email } });
    const res = await s.call({
      method: 'POST',
      url: '/v1/check/batch',
      payload: {
        checks: [
          { subject: subject('batch@example.com'), channel: 'email', topic: 'newsletter' },
          { subject: subject('nobody@example.com'), channel: 'email', topic: 'newsletter' },
          { subject: subject('batch@example.com'), channel: 'email', topic: 'weekly' },
          { subject: subject('batch@example.com'), purpose: 'fraud' },
          { subject: subject('weekly@example.com'), channel: 'email', topic: 'weekly' },
          { subject: subject('WEEKLY@example.com'), channel: 'email', topic: 'newsletter' },
        ],
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().results.map((r: { reason: string }) => r.reason)).toEqual([
      'granted',
      'no_consent',
      'granted',
      'legitimate_interest',
      'withdrawn',
      'granted',
    ]);
    const bad = await s.call({
      method: 'POST',
      url: '/v1/check/batch',
      payload: {
        checks: [
          { subject: subject('batch@example.com'), channel: 'email' },
          { subject: subject('batch@example.com'), channel: 'email', topic: 'nope' },
          { subject: subject('bad'), purpose: 'ads' },
        ],
      },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      '/checks/1/topic',
      '/checks/2/subject/identifier/value',
    ]);
    const tooMany = Array.from({ length: 1001 }, () => ({
      subject: subject('a@example.com'),
      channel: 'email',
    }));
    expect(
      (await s.call({ method: 'POST', url: '/v1/check/batch', payload: { checks: tooMany } })).statusCode,
    ).toBe(400);
  });

  it('lets viewers and agents check, not dsr keys, and audits no check', async () => {
    const before = await s.deps.db.kysely.selectFrom('audit_log').select('id').execute();
    const body = { subject: { identifier: { type: 'email', value: 'a@example.com' } }, channel: 'email' };
    expect((await check(body, await s.keyFor('viewer'))).status).toBe(200);
    expect((await check(body, await s.keyFor('agent'))).status).toBe(200);
    expect((await check(body, await s.keyFor('dsr'))).status).toBe(403);
    const after = await s.deps.db.kysely.selectFrom('audit_log').select(['id', 'action']).execute();
    expect(after.filter((a) => !a.action.startsWith('api_key')).length).toBe(before.length);
  });

  it('documents the decision routes in OpenAPI', async () => {
    const doc = (await s.call({ method: 'GET', url: '/openapi.json', key: null })).json();
    for (const path of ['/v1/check', '/v1/check/batch', '/v1/audiences/filter', '/v1/suppressions']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths['/v1/check'].post.tags).toEqual(['decision']);
  });
});
