import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../test/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../test/support/test-server.ts';

describe.each(testDatabases())('subjects on %s', (kind) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(kind);
  });
  afterAll(() => s.close());

  const upsert = (identifiers: { type: string; value: string }[], extra: object = {}, key?: string) =>
    s.call({ method: 'POST', url: '/v1/subjects', payload: { identifiers, ...extra }, key });

  it('normalises identifiers and finds the same person whatever the spelling', async () => {
    const first = await upsert([{ type: 'email', value: '  Ana@Example.COM ' }], {
      attributes: { firstName: 'Ana' },
    });
    expect(first.statusCode).toBe(201);
    expect(first.json().identifiers).toEqual([{ type: 'email', value: 'ana@example.com' }]);
    const again = await upsert([
      { type: 'email', value: 'ana@example.com' },
      { type: 'phone', value: '+33 6 12 34 56 78' },
    ]);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    expect(again.json().identifiers).toContainEqual({ type: 'phone', value: '+33612345678' });
    const byPhone = await s.call({
      method: 'GET',
      url: '/v1/subjects?identifier=phone:%2B33%206%2012%2034%2056%2078',
    });
    expect(byPhone.json().items[0].id).toBe(first.json().id);
    expect(byPhone.json().items[0].attributes).toEqual({ firstName: 'Ana' });
  });

  it("goes to the owner of the first identifier given when two people own them, and lists a new person's identifiers as given", async () => {
    const ana = (await upsert([{ type: 'email', value: 'first-ana@example.com' }])).json();
    const visitor = (await upsert([{ type: 'anonymous_id', value: 'first-visitor' }])).json();
    const both = [
      { type: 'email', value: 'first-ana@example.com' },
      { type: 'anonymous_id', value: 'first-visitor' },
    ];
    expect((await upsert(both)).json().id).toBe(ana.id);
    expect((await upsert([...both].reverse())).json().id).toBe(visitor.id);
    const recorded = await s.call({
      method: 'POST',
      url: '/v1/consents',
      payload: {
        subject: { identifiers: both },
        decisions: [{ target: { type: 'channel', key: 'email' }, state: 'granted' }],
        source: 'api',
      },
    });
    expect(recorded.json().subjectId).toBe(ana.id);
    const given = [
      { type: 'phone', value: '+33611223344' },
      { type: 'email', value: 'first-new@example.com' },
      { type: 'customer_id', value: 'first-c' },
    ];
    expect((await upsert(given)).json().identifiers).toEqual(given);
  });

  it('rejects what is not a phone number or an email, writing nothing', async () => {
    const before = await s.deps.db.kysely
      .selectFrom('subjects')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    for (const bad of [
      { type: 'phone', value: '12' },
      { type: 'phone', value: 'call me' },
      { type: 'email', value: 'not-an-email' },
      { type: 'favourite_colour', value: 'blue' },
    ]) {
      const res = await upsert([{ type: 'customer_id', value: 'c-1' }, bad]);
      expect(res.statusCode, JSON.stringify(bad)).toBe(422);
      expect(res.json().errors[0].pointer).toBe('/identifiers/1/value');
    }
    const after = await s.deps.db.kysely
      .selectFrom('subjects')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('links identifiers, refusing one that belongs to someone else', async () => {
    const a = (await upsert([{ type: 'customer_id', value: 'link-a' }])).json();
    const b = (await upsert([{ type: 'customer_id', value: 'link-b' }])).json();
    const ok = await s.call({
      method: 'POST',
      url: `/v1/subjects/${a.id}/identifiers`,
      payload: { type: 'email', value: 'Link@Example.com' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().identifiers).toContainEqual({ type: 'email', value: 'link@example.com' });
    const taken = await s.call({
      method: 'POST',
      url: `/v1/subjects/${b.id}/identifiers`,
      payload: { type: 'email', value: 'link@example.com' },
    });
    expect(taken.statusCode).toBe(409);
  });

  it('merges: identifiers and consent history follow the survivor', async () => {
    const a = (await upsert([{ type: 'email', value: 'merge-a@example.com' }])).json();
    const b = (await upsert([{ type: 'anonymous_id', value: 'anon-merge-b' }])).json();
    const rec = (subject: object, state: string, at: string) =>
      s.call({
        method: 'POST',
        url: '/v1/consents',
        payload: {
          subject,
          decisions: [{ target: { type: 'channel', key: 'email' }, state }],
          source: 'form',
          occurredAt: at,
        },
      });
    expect((await rec({ id: a.id }, 'granted', '2026-01-01T00:00:00Z')).statusCode).toBe(201);
    expect((await rec({ id: b.id }, 'withdrawn', '2026-02-01T00:00:00Z')).statusCode).toBe(201);
    const merged = await s.call({
      method: 'POST',
      url: `/v1/subjects/${a.id}/merge`,
      payload: { from: b.id },
    });
    expect(merged.statusCode).toBe(200);
    expect(merged.json().identifiers).toContainEqual({ type: 'anonymous_id', value: 'anon-merge-b' });
    const state = (await s.call({ method: 'GET', url: `/v1/subjects/${a.id}/consents` })).json();
    expect(state.items).toHaveLength(1);
    expect(state.items[0].state).toBe('withdrawn');
    const history = (await s.call({ method: 'GET', url: `/v1/consent-records?subjectId=${a.id}` })).json();
    expect(history.items.map((r: { state: string }) => r.state)).toEqual(['withdrawn', 'granted']);
    const gone = (await s.call({ method: 'GET', url: `/v1/subjects/${b.id}` })).json();
    expect(gone.mergedInto).toBe(a.id);
    // a record for the merged id lands on the survivor
    expect((await rec({ id: b.id }, 'granted', '2026-03-01T00:00:00Z')).json().subjectId).toBe(a.id);
    expect((await s.call({ method: 'GET', url: '/v1/ledger/verify' })).json().ok).toBe(true);
    const self = await s.call({ method: 'POST', url: `/v1/subjects/${a.id}/merge`, payload: { from: a.id } });
    expect(self.statusCode).toBe(422);
  });

  it("keeps workspaces apart: another workspace's subject is a 404 on every route", async () => {
    const other = await s.newWorkspace(`subj-${kind}`);
    const mine = (await upsert([{ type: 'email', value: 'private@example.com' }])).json();
    const key = other.adminKey;
    for (const [method, url, payload] of [
      ['GET', `/v1/subjects/${mine.id}`],
      ['GET', `/v1/subjects/${mine.id}/consents`],
      ['GET', `/v1/consent-records?subjectId=${mine.id}`],
      ['POST', `/v1/subjects/${mine.id}/identifiers`, { type: 'customer_id', value: 'x' }],
      ['POST', `/v1/subjects/${mine.id}/merge`, { from: mine.id }],
    ] as const) {
      const res = await s.call({ method, url, payload, key });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    const search = await s.call({
      method: 'GET',
      url: '/v1/subjects?identifier=email:private@example.com',
      key,
    });
    expect(search.json().items).toEqual([]);
    const consent = await s.call({
      method: 'POST',
      url: '/v1/consents',
      key,
      payload: {
        subject: { id: mine.id },
        decisions: [{ target: { type: 'channel', key: 'sms' }, state: 'granted' }],
        source: 'api',
      },
    });
    expect(consent.statusCode).toBe(404);
  });

  it('audits every read of a subject', async () => {
    const subject = (await upsert([{ type: 'email', value: 'audited@example.com' }])).json();
    await s.call({
      method: 'GET',
      url: `/v1/subjects/${subject.id}`,
      headers: { 'x-request-id': 'req-audit-12345' },
    });
    const rows = await s.deps.db.kysely
      .selectFrom('audit_log')
      .selectAll()
      .where('target_id', '=', subject.id)
      .execute();
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['subject.create', 'subject.read']));
    expect(rows.find((r) => r.action === 'subject.read')?.request_id).toBe('req-audit-12345');
    // upserting a person who exists answers with their data: that is a read too
    const again = await s.call({
      method: 'POST',
      url: '/v1/subjects',
      payload: { identifiers: [{ type: 'email', value: 'audited@example.com' }] },
      headers: { 'x-request-id': 'req-audit-upsert' },
    });
    expect(again.statusCode).toBe(200);
    /** The audit actions written on this person by one request. */
    const actionsOf = async (requestId: string) =>
      (
        await s.deps.db.kysely
          .selectFrom('audit_log')
          .select('action')
          .where('target_id', '=', subject.id)
          .where('request_id', '=', requestId)
          .execute()
      ).map((r) => r.action);
    expect(await actionsOf('req-audit-upsert')).toEqual(['subject.read']);
    // and so does a replay of the same request (same Idempotency-Key), which runs nothing else
    const replay = {
      method: 'POST' as const,
      url: '/v1/subjects',
      payload: { identifiers: [{ type: 'email', value: 'audited@example.com' }] },
      headers: { 'idempotency-key': 'audited-upsert', 'x-request-id': 'req-audit-replay' },
    };
    expect((await s.call(replay)).statusCode).toBe(200);
    expect((await s.call(replay)).statusCode).toBe(200);
    expect(await actionsOf('req-audit-replay')).toEqual(['subject.read', 'subject.read']);
  });
});

describe.each(testDatabases())('subject tokens on %s', (kind) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(kind);
  });
  afterAll(() => s.close());

  it('issues a signed, expiring token for one subject and audience', async () => {
    const res = await s.call({
      method: 'POST',
      url: '/v1/subject-tokens',
      payload: {
        subject: { identifiers: [{ type: 'customer_id', value: 'C-77' }] },
        audience: 'banner',
        ttlSeconds: 120,
      },
    });
    expect(res.statusCode).toBe(201);
    const { token, subjectId, expiresAt } = res.json();
    const claims = (await s.deps.signer.verify(token)) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: subjectId, ws: s.workspaceId, aud: 'banner' });
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(120_000);
    const viewer = await s.keyFor('viewer');
    const refused = await s.call({
      method: 'POST',
      url: '/v1/subject-tokens',
      key: viewer,
      payload: { subject: { id: subjectId }, audience: 'banner' },
    });
    expect(refused.statusCode).toBe(403);
    const tooLong = await s.call({
      method: 'POST',
      url: '/v1/subject-tokens',
      payload: { subject: { id: subjectId }, audience: 'banner', ttlSeconds: 999_999 },
    });
    expect(tooLong.statusCode).toBe(400);
  });
});
