import { identifierHash } from '@assent/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../test/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../test/support/test-server.ts';

describe.each(testDatabases())('the suppression list on %s', (kind) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(kind);
  });
  afterAll(() => s.close());

  const suppress = (value: string, key?: string, extra: object = {}, headers: Record<string, string> = {}) =>
    s.call({
      method: 'POST',
      url: '/v1/suppressions',
      key,
      headers,
      payload: { identifier: { type: 'email', value }, channel: 'email', reason: 'complaint', ...extra },
    });

  it('stores only the hash, idempotently, with an audit entry and an outbox event', async () => {
    const first = await suppress(' Ana@Example.com ');
    expect(first.statusCode).toBe(201);
    const hash = identifierHash({ type: 'email', value: 'ana@example.com' });
    expect(first.json()).toMatchObject({ channel: 'email', identifierHash: hash, reason: 'complaint' });
    const again = await suppress('ana@example.com');
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);

    const rows = await s.deps.db.kysely.selectFrom('suppressions').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain('ana@example.com');
    const events = await s.deps.db.kysely
      .selectFrom('outbox')
      .selectAll()
      .where('type', 'like', 'suppression.%')
      .execute();
    expect(events.map((e) => e.type)).toEqual(['suppression.added']);
    expect(events[0].payload).not.toContain('ana@example.com');
    const audit = await s.deps.db.kysely
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'suppression.add')
      .execute();
    expect(audit.map((a) => a.target_id)).toEqual([first.json().id]);
  });

  it('replays an Idempotency-Key', async () => {
    const headers = { 'idempotency-key': 'sup-1' };
    const one = await suppress('idem@example.com', undefined, {}, headers);
    const two = await suppress('idem@example.com', undefined, {}, headers);
    expect([one.statusCode, two.statusCode]).toEqual([201, 201]);
    expect(two.json()).toEqual(one.json());
  });

  it('lists, looks up and lifts suppressions', async () => {
    await suppress('+33 6 12 34 56 78', undefined, {
      identifier: { type: 'phone', value: '+33 6 12 34 56 78' },
      channel: 'sms',
      reason: 'sms_stop',
    });
    await suppress('list@example.com', undefined, { reason: 'hard_bounce' });
    const all = (await s.call({ method: 'GET', url: '/v1/suppressions?limit=2' })).json();
    expect(all.items).toHaveLength(2);
    expect(all.nextCursor).not.toBeNull();
    const rest = (
      await s.call({ method: 'GET', url: `/v1/suppressions?limit=2&cursor=${all.nextCursor}` })
    ).json();
    expect(rest.items.length).toBeGreaterThan(0);
    expect(rest.items[0].id > all.items[1].id).toBe(true);
    const sms = (await s.call({ method: 'GET', url: '/v1/suppressions?channel=sms' })).json();
    expect(sms.items.map((i: { reason: string }) => i.reason)).toEqual(['sms_stop']);

    const lookup = await s.call({
      method: 'GET',
      url: '/v1/suppressions/lookup?identifier=phone:%2B33%20612%20345%20678',
    });
    expect(lookup.statusCode).toBe(200);
    expect(lookup.json()).toMatchObject({ suppressed: true, items: [{ channel: 'sms' }] });
    const onEmail = await s.call({
      method: 'GET',
      url: `/v1/suppressions/lookup?identifier=${encodeURIComponent('email:LIST@example.com')}&channel=email`,
    });
    expect(onEmail.json()).toMatchObject({ suppressed: true, items: [{ reason: 'hard_bounce' }] });
    const id = onEmail.json().items[0].id;

    const lifted = await s.call({ method: 'DELETE', url: `/v1/suppressions/${id}` });
    expect(lifted.statusCode).toBe(200);
    expect((await s.call({ method: 'DELETE', url: `/v1/suppressions/${id}` })).statusCode).toBe(404);
    const after = await s.call({
      method: 'GET',
      url: '/v1/suppressions/lookup?identifier=email:list@example.com',
    });
    expect(after.json().suppressed).toBe(false);
    const removed = await s.deps.db.kysely
      .selectFrom('outbox')
      .select('payload')
      .where('type', '=', 'suppression.removed')
      .execute();
    expect(removed.map((r) => JSON.parse(r.payload).id)).toEqual([id]);

    const bad = await s.call({ method: 'GET', url: '/v1/suppressions/lookup?identifier=email:nope' });
    expect(bad.statusCode).toBe(422);
    expect(
      (await s.call({ method: 'GET', url: '/v1/suppressions/lookup?identifier=nothing' })).statusCode,
    ).toBe(422);
  });

  it('checks roles: viewers read, editors write', async () => {
    const viewer = await s.keyFor('viewer');
    expect((await suppress('role@example.com', viewer)).statusCode).toBe(403);
    expect((await s.call({ method: 'GET', url: '/v1/suppressions', key: viewer })).statusCode).toBe(200);
    expect((await suppress('role@example.com', await s.keyFor('editor'))).statusCode).toBe(201);
    expect(
      (await s.call({ method: 'GET', url: '/v1/suppressions', key: await s.keyFor('agent') })).statusCode,
    ).toBe(403);
  });

  it("keeps workspaces apart: another workspace's suppression is not found, listed or matched", async () => {
    const a = await s.newWorkspace('sup-a');
    const b = await s.newWorkspace('sup-b');
    const mine = await suppress('shared@example.com', b.adminKey);
    expect(mine.statusCode).toBe(201);
    const id = mine.json().id;
    expect((await s.call({ method: 'GET', url: `/v1/suppressions/${id}`, key: a.adminKey })).statusCode).toBe(
      404,
    );
    expect(
      (await s.call({ method: 'DELETE', url: `/v1/suppressions/${id}`, key: a.adminKey })).statusCode,
    ).toBe(404);
    expect((await s.call({ method: 'GET', url: '/v1/suppressions', key: a.adminKey })).json().items).toEqual(
      [],
    );
    const lookup = await s.call({
      method: 'GET',
      url: '/v1/suppressions/lookup?identifier=email:shared@example.com',
      key: a.adminKey,
    });
    expect(lookup.json()).toMatchObject({ suppressed: false, items: [] });
    const check = await s.call({
      method: 'POST',
      url: '/v1/check',
      key: a.adminKey,
      payload: { subject: { identifier: { type: 'email', value: 'shared@example.com' } }, channel: 'email' },
    });
    expect(check.json().reason).toBe('no_consent');
    // and A suppressing the same address gets its own row, not B's
    const own = await suppress('shared@example.com', a.adminKey);
    expect(own.statusCode).toBe(201);
    expect(own.json().id).not.toBe(id);
    expect((await s.call({ method: 'GET', url: `/v1/suppressions/${id}`, key: b.adminKey })).statusCode).toBe(
      200,
    );
  });
});
