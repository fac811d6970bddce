import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockWaiter as waitForLock } from '../../../test/support/lock-waiter.ts';
import { testDatabases } from '../../../test/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { createConsentService } from './consent-service.ts';

/** The consent.updated events and consent.record audit entries written for a subject. */
async function writesOf(s: TestServer, subjectId: string) {
  const db = s.deps.db.kysely;
  const events = await db
    .selectFrom('outbox')
    .select('payload')
    .where('type', '=', 'consent.updated')
    .execute();
  const audits = await db
    .selectFrom('audit_log')
    .select('id')
    .where('action', '=', 'consent.record')
    .where('target_id', '=', subjectId)
    .execute();
  return {
    events: events.filter((e) => JSON.parse(e.payload).subjectId === subjectId).length,
    audits: audits.length,
  };
}

/** POST /v1/consents for a person known by their email address. */
const consentByEmail = (s: TestServer, email: string, decisions: object[]) =>
  s.call({
    method: 'POST',
    url: '/v1/consents',
    payload: { subject: { identifiers: [{ type: 'email', value: email }] }, decisions, source: 'api' },
  });

describe.each(testDatabases())('the consent ledger on %s', (kind) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(kind);
  });
  afterAll(() => s.close());

  const consent = (payload: object, headers: Record<string, string> = {}, key?: string) =>
    s.call({ method: 'POST', url: '/v1/consents', payload, headers, key });
  const emailOptIn = (email: string, state = 'granted', extra: object = {}) => ({
    subject: { identifiers: [{ type: 'email', value: email }] },
    decisions: [{ target: { type: 'channel', key: 'email' }, state }],
    source: 'form',
    ...extra,
  });
  const count = async (table: 'consent_records' | 'outbox' | 'subjects') =>
    Number(
      (
        await s.deps.db.kysely
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('records several decisions atomically, chained, with the IP truncated', async () => {
    const res = await consent({
      subject: { identifiers: [{ type: 'email', value: 'Ana@Example.com' }] },
      decisions: [
        { target: { type: 'channel', key: 'email' }, state: 'granted' },
        { target: { type: 'channel', key: 'sms' }, state: 'denied' },
      ],
      source: 'form',
      evidence: { ipAddress: '203.0.113.77', userAgent: 'Mozilla/5.0', language: 'fr' },
      occurredAt: '2026-11-22T10:00:00Z',
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.records).toHaveLength(2);
    const [r1, r2] = body.records;
    expect(r1.prevHash).toBeNull();
    expect(r2.prevHash).toBe(r1.hash);
    expect(r1.evidence.ipAddress).toBe('203.0.113.0');
    expect(r1.occurredAt).toBe('2026-11-22T10:00:00.000Z');
    const state = (await s.call({ method: 'GET', url: `/v1/subjects/${body.subjectId}/consents` })).json();
    expect(
      state.items.map((i: { channel: string; state: string }) => `${i.channel}:${i.state}`).sort(),
    ).toEqual(['email:granted', 'sms:denied']);
    const events = await s.deps.db.kysely
      .selectFrom('outbox')
      .select('type')
      .where('type', '=', 'consent.updated')
      .execute();
    expect(events.length).toBeGreaterThan(0);
  });

  it('keeps the latest decision by occurredAt: a late-synced older record does not override', async () => {
    const a = await consent(
      emailOptIn('late@example.com', 'withdrawn', { occurredAt: '2026-05-01T00:00:00Z' }),
    );
    await consent(
      emailOptIn('late@example.com', 'granted', { occurredAt: '2026-04-01T00:00:00Z', source: 'paper' }),
    );
    const state = (
      await s.call({ method: 'GET', url: `/v1/subjects/${a.json().subjectId}/consents` })
    ).json();
    expect(state.items[0].state).toBe('withdrawn');
    const history = (
      await s.call({ method: 'GET', url: `/v1/consent-records?subjectId=${a.json().subjectId}&limit=1` })
    ).json();
    expect(history.items[0].state).toBe('withdrawn');
    const next = (
      await s.call({
        method: 'GET',
        url: `/v1/consent-records?subjectId=${a.json().subjectId}&limit=1&cursor=${history.nextCursor}`,
      })
    ).json();
    expect(next.items[0].state).toBe('granted');
    expect(next.nextCursor).toBeNull();
  });

  it('creates one record for a retried POST with the same Idempotency-Key', async () => {
    const before = await count('consent_records');
    const payload = emailOptIn('retry@example.com');
    const headers = { 'idempotency-key': `retry-${kind}` };
    const [a, b] = await Promise.all([consent(payload, headers), consent(payload, headers)]);
    const c = await consent(payload, headers);
    expect([a.statusCode, b.statusCode, c.statusCode]).toEqual([201, 201, 201]);
    expect(b.json()).toEqual(a.json());
    expect(c.json()).toEqual(a.json());
    expect(await count('consent_records')).toBe(before + 1);
    const other = await consent(emailOptIn('someone-else@example.com'), headers);
    expect(other.statusCode).toBe(409);
  });

  it('rejects bad input with problem+json and writes nothing', async () => {
    const before = [await count('consent_records'), await count('subjects'), await count('outbox')];
    const cases: [object | string, number, string?][] = [
      ['{"subject": ', 400, 'application/json'],
      [{ ...emailOptIn('x@example.com'), extra: true }, 400],
      [
        {
          ...emailOptIn('x@example.com'),
          decisions: [{ target: { type: 'channel', key: 'email' }, state: 'maybe' }],
        },
        400,
      ],
      [
        {
          ...emailOptIn('x@example.com'),
          decisions: [{ target: { type: 'channel', key: 'email' }, state: 'pending' }],
        },
        400,
      ],
      [{ ...emailOptIn('x@example.com'), decisions: 'granted' }, 400],
      [{ ...emailOptIn('x@example.com'), source: 42 }, 400],
      [{ ...emailOptIn('x@example.com'), occurredAt: 'yesterday' }, 400],
      [{ ...emailOptIn('x@example.com'), occurredAt: '2026-11-22T10:00:00+02' }, 400],
      [{ ...emailOptIn('x@example.com'), occurredAt: '2026-06-30T23:59:60Z' }, 400],
      [
        {
          ...emailOptIn('x@example.com'),
          decisions: [
            {
              target: { type: 'channel', key: 'email' },
              state: 'granted',
              expiresAt: '2027-06-30T23:59:60Z',
            },
          ],
        },
        400,
      ],
      [{ ...emailOptIn('x@example.com'), occurredAt: '2999-01-01T00:00:00Z' }, 422],
      [
        {
          ...emailOptIn('x@example.com'),
          decisions: [{ target: { type: 'purpose', key: 'nope' }, state: 'granted' }],
        },
        422,
      ],
      [
        {
          ...emailOptIn('x@example.com'),
          decisions: [{ target: { type: 'channel', key: 'pigeon' }, state: 'granted' }],
        },
        422,
      ],
      [{ ...emailOptIn('x@example.com'), scope: { brand: 'unknown-brand' } }, 422],
      [{ ...emailOptIn('x@example.com'), evidence: { ipAddress: 'not-an-ip' } }, 422],
      [{ ...emailOptIn('x@example.com'), evidence: { noticeVersionId: 'nv-made-up' } }, 422],
      [{ ...emailOptIn('x@example.com'), evidence: { noticeContentHash: 'f'.repeat(64) } }, 400],
      [{ ...emailOptIn('not an email') }, 422],
      [{ ...emailOptIn('x@example.com'), subject: { id: '01900000-0000-7000-8000-000000000000' } }, 404],
    ];
    for (const [payload, status, type] of cases) {
      const res = await s.call({
        method: 'POST',
        url: '/v1/consents',
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
        headers: { 'content-type': type ?? 'application/json' },
      });
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().status).toBe(status);
    }
    const xml = await s.call({
      method: 'POST',
      url: '/v1/consents',
      payload: '<x/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(xml.statusCode).toBe(415);
    const huge = await s.call({
      method: 'POST',
      url: '/v1/consents',
      payload: JSON.stringify({
        ...emailOptIn('big@example.com'),
        evidence: { note: 'x'.repeat(2 * 1024 * 1024) },
      }),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.statusCode).toBe(413);
    const badCursor = await s.call({ method: 'GET', url: '/v1/consent-records?subjectId=x&cursor=%%%' });
    expect([400, 404]).toContain(badCursor.statusCode);
    expect([await count('consent_records'), await count('subjects'), await count('outbox')]).toEqual(before);
    expect((await s.call({ method: 'GET', url: '/healthz', key: null })).statusCode).toBe(200);
  });

  it('answers 400 for a cursor it did not issue', async () => {
    const subject = (await consent(emailOptIn('cursor@example.com'))).json().subjectId;
    const res = await s.call({
      method: 'GET',
      url: `/v1/consent-records?subjectId=${subject}&cursor=bm90LWEtY3Vyc29y`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().type).toBe('/problems/invalid-cursor');
  });

  it('signs receipts that verify with the published key alone', async () => {
    const rec = (await consent(emailOptIn('receipt@example.com'))).json().records[0];
    const { receipt } = (
      await s.call({ method: 'GET', url: `/v1/consent-records/${rec.id}/receipt` })
    ).json();
    const jwks = (await s.call({ method: 'GET', url: '/.well-known/jwks.json', key: null })).json();
    expect(decodeProtectedHeader(receipt).alg).toBe('EdDSA');
    const { payload } = await compactVerify(receipt, createLocalJWKSet(jwks));
    const claims = JSON.parse(new TextDecoder().decode(payload));
    expect(claims).toMatchObject({
      consentReceiptID: rec.id,
      collectionMethod: 'form',
      state: 'granted',
      record: { hash: rec.hash },
    });
    const forged = `${receipt.slice(0, -4)}AAAA`;
    await expect(compactVerify(forged, createLocalJWKSet(jwks))).rejects.toThrow();
  });

  it('fails a write, and writes nothing, when merged subjects point at each other', async () => {
    const db = s.deps.db.kysely;
    const a = (await consent(emailOptIn('loop-a@example.com'))).json().subjectId;
    const b = (await consent(emailOptIn('loop-b@example.com'))).json().subjectId;
    // a loop no merge makes (each merge points at a live survivor): only a direct edit of the table
    await db.updateTable('subjects').set({ merged_into: b }).where('id', '=', a).execute();
    await db.updateTable('subjects').set({ merged_into: a }).where('id', '=', b).execute();
    const before = await db
      .selectFrom('consent_records')
      .select(db.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    const res = await s.call({
      method: 'POST',
      url: '/v1/consents',
      payload: {
        subject: { id: a },
        decisions: [{ target: { type: 'channel', key: 'sms' }, state: 'granted' }],
        source: 'api',
      },
    });
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const after = await db
      .selectFrom('consent_records')
      .select(db.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    await db.updateTable('subjects').set({ merged_into: null }).where('id', 'in', [a, b]).execute();
  });

  it("lets an agent record consent but not read another workspace's records", async () => {
    const agent = await s.keyFor('agent');
    const res = await consent(
      emailOptIn('agent@example.com', 'granted', {
        source: 'call_center',
        evidence: { collectedBy: 'agent-42' },
      }),
      {},
      agent,
    );
    expect(res.statusCode).toBe(201);
    const other = await s.newWorkspace(`ledger-${kind}`);
    const foreign = await s.call({
      method: 'GET',
      url: `/v1/consent-records/${res.json().records[0].id}`,
      key: other.adminKey,
    });
    expect(foreign.statusCode).toBe(404);
    const receipt = await s.call({
      method: 'GET',
      url: `/v1/consent-records/${res.json().records[0].id}/receipt`,
      key: other.adminKey,
    });
    expect(receipt.statusCode).toBe(404);
    const viewer = await s.keyFor('viewer');
    expect((await consent(emailOptIn('v@example.com'), {}, viewer)).statusCode).toBe(403);
  });
});

describe.each(testDatabases())('concurrent first writes on %s', (kind) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(kind);
  });
  afterAll(() => s.close());

  it('makes one subject when many requests create the same person at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        s.call({
          method: 'POST',
          url: '/v1/consents',
          payload: {
            subject: { identifiers: [{ type: 'email', value: 'race@example.com' }] },
            decisions: [{ target: { type: 'channel', key: i % 2 ? 'email' : 'sms' }, state: 'granted' }],
            source: 'api',
          },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(12).fill(201));
    expect(new Set(results.map((r) => r.json().subjectId)).size).toBe(1);
    const verify = (await s.call({ method: 'GET', url: '/v1/ledger/verify' })).json();
    expect(verify).toMatchObject({ ok: true, records: 12, subjects: 1 });
  });

  it('records many people written at once, known and new, each on their own chain', async () => {
    const write = (email: string, state: string) =>
      consentByEmail(s, email, [
        { target: { type: 'channel', key: 'email' }, state },
        { target: { type: 'channel', key: 'sms' }, state: 'granted' },
      ]);
    const known = Array.from({ length: 20 }, (_, i) => `many-${i}@example.com`);
    for (const email of known) expect((await write(email, 'granted')).statusCode).toBe(201);
    const fresh = Array.from({ length: 6 }, (_, i) => `many-new-${i}@example.com`);
    // on PostgreSQL these go as a few shared statements
    const results = await Promise.all([
      ...known.map((email) => write(email, 'withdrawn')),
      ...fresh.map((email) => write(email, 'granted')),
    ]);
    expect(results.map((r) => r.statusCode)).toEqual(Array(26).fill(201));
    for (const [i, r] of results.entries()) {
      const body = r.json();
      expect(body.records.map((x: { seq: number }) => x.seq)).toEqual(i < 20 ? [3, 4] : [1, 2]);
      const state = (await s.call({ method: 'GET', url: `/v1/subjects/${body.subjectId}/consents` })).json();
      const email = state.items.find((x: { target: { key: string } }) => x.target.key === 'email');
      expect(email.state).toBe(i < 20 ? 'withdrawn' : 'granted');
      expect(await writesOf(s, body.subjectId)).toEqual({ events: i < 20 ? 2 : 1, audits: i < 20 ? 2 : 1 });
    }
    const verify = (await s.call({ method: 'GET', url: '/v1/ledger/verify' })).json();
    expect(verify).toMatchObject({ ok: true });
  });

  it("chains many concurrent writes to one person's ledger one after another", async () => {
    const write = (i: number) =>
      s.call({
        method: 'POST',
        url: '/v1/consents',
        payload: {
          subject: { identifiers: [{ type: 'email', value: 'busy@example.com' }] },
          decisions: [
            { target: { type: 'channel', key: 'email' }, state: i % 2 ? 'granted' : 'withdrawn' },
            { target: { type: 'channel', key: 'sms' }, state: 'granted' },
          ],
          source: 'api',
        },
      });
    const first = await write(0);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => write(i + 1)));
    expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(201));
    const subjectId = first.json().subjectId;
    const seqs = (
      await s.deps.db.kysely
        .selectFrom('consent_records')
        .select('seq')
        .where('subject_id', '=', subjectId)
        .execute()
    )
      .map((r) => Number(r.seq))
      .sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 42 }, (_, i) => i + 1));
    const head = await s.deps.db.kysely
      .selectFrom('subjects')
      .select(['ledger_seq'])
      .where('id', '=', subjectId)
      .executeTakeFirstOrThrow();
    expect(Number(head.ledger_seq)).toBe(42);
    const verify = (await s.call({ method: 'GET', url: '/v1/ledger/verify' })).json();
    expect(verify).toMatchObject({ ok: true, records: 54 + 92, subjects: 2 + 26 });
    // one event and one audit entry per write, whichever way each was made
    expect(await writesOf(s, subjectId)).toEqual({ events: 21, audits: 21 });
  });
});

describe.skipIf(!testDatabases().includes('postgres'))('writes racing others on postgres', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('postgres');
  });
  afterAll(() => s.close());

  const write = (email: string, state: string) =>
    consentByEmail(s, email, [{ target: { type: 'channel', key: 'email' }, state }]);

  const lockWaiter = () => waitForLock(s.deps.db.kysely as never);
  const seqsOf = async (subjectId: string) =>
    (
      await s.deps.db.kysely
        .selectFrom('consent_records')
        .select('seq')
        .where('subject_id', '=', subjectId)
        .orderBy('seq')
        .execute()
    ).map((r) => Number(r.seq));

  it("waits for a person another transaction holds in a transaction of its own, not holding up other people's writes", async () => {
    const id = (await write('guard-1@example.com', 'granted')).json().subjectId;
    const other = (await write('guard-1b@example.com', 'granted')).json().subjectId;
    const db = s.deps.db.kysely;
    let pending: ReturnType<typeof write> | undefined;
    let waiter = '';
    await db.transaction().execute(async (trx) => {
      // another transaction holds the person's row without moving their chain head
      await trx.selectFrom('subjects').select('id').where('id', '=', id).forUpdate().execute();
      pending = write('guard-1@example.com', 'withdrawn');
      waiter = await lockWaiter();
      // meanwhile another person's write goes through
      expect((await write('guard-1b@example.com', 'withdrawn')).statusCode).toBe(201);
    });
    // the shared statement skipped the held row; the write then waited for it while locking the head
    expect(waiter).toMatch(
      /^select "ledger_seq", "ledger_head", "merged_into" from "subjects" .* for no key update$/,
    );
    expect((await (pending as ReturnType<typeof write>)).statusCode).toBe(201);
    expect(await seqsOf(id)).toEqual([1, 2]);
    expect(await seqsOf(other)).toEqual([1, 2]);
    expect(await writesOf(s, id)).toEqual({ events: 2, audits: 2 });
  });

  it('writes again after the chain head, once locked, when another write moved it meanwhile', async () => {
    const id = (await write('guard-2@example.com', 'granted')).json().subjectId;
    const db = s.deps.db.kysely;
    const actor = { workspaceId: s.workspaceId, actor: 'test', requestId: 'race' };
    let pending: ReturnType<typeof write> | undefined;
    let waiter = '';
    await db.transaction().execute(async (trx) => {
      // another write to the same person, in a transaction that stays open until ours waits for it
      await createConsentService(s.deps).record(trx, actor, {
        subject: { id },
        decisions: [{ target: { type: 'channel', key: 'sms' }, state: 'granted' }],
        source: 'api',
      } as never);
      pending = write('guard-2@example.com', 'withdrawn');
      waiter = await lockWaiter();
    });
    // the optimistic statement found the head held and wrote nothing; the write then waited for the other
    expect(waiter).toMatch(/ for no key update$/);
    const res = await (pending as ReturnType<typeof write>);
    expect(res.statusCode).toBe(201);
    expect(res.json().records[0]).toMatchObject({ seq: 3 });
    expect(await seqsOf(id)).toEqual([1, 2, 3]);
    // one event and one audit entry per write: the attempt that wrote nothing left none
    expect(await writesOf(s, id)).toEqual({ events: 3, audits: 3 });
    const verify = (await s.call({ method: 'GET', url: '/v1/ledger/verify' })).json();
    expect(verify).toMatchObject({ ok: true });
  });

  it('dates a write that waited for the chain head from when it got it, not from when it came in', async () => {
    const id = (await write('late-head@example.com', 'granted')).json().subjectId;
    let pending: ReturnType<typeof write> | undefined;
    let released = '';
    await s.deps.db.kysely.transaction().execute(async (trx) => {
      await sql`select 1 from subjects where id = ${id} for update`.execute(trx);
      // with an Idempotency-Key the write takes the transaction that locks the head first
      pending = s.call({
        method: 'POST',
        url: '/v1/consents',
        headers: { 'idempotency-key': 'late-head-1' },
        payload: {
          subject: { identifiers: [{ type: 'email', value: 'late-head@example.com' }] },
          decisions: [{ target: { type: 'channel', key: 'email' }, state: 'withdrawn' }],
          source: 'api',
        },
      });
      await lockWaiter();
      await new Promise((r) => setTimeout(r, 300));
      released = new Date().toISOString();
    });
    const res = await pending!;
    expect(res.statusCode).toBe(201);
    const row = await s.deps.db.kysely
      .selectFrom('consent_records')
      .select('recorded_at')
      .where('id', '=', res.json().records[0].id)
      .executeTakeFirstOrThrow();
    // a checkpoint closed while it waited leaves the last 30 s out: this one lands after it
    expect(row.recorded_at >= released).toBe(true);
  });

  it('verifies a range of chains in one snapshot while writes commit', async () => {
    const id = (await write('snapshot@example.com', 'granted')).json().subjectId;
    const actor = { workspaceId: s.workspaceId, actor: 'test', requestId: 'snapshot' };
    let verifying: Promise<{ json(): { ok: boolean } }> | undefined;
    await s.deps.db.kysely.transaction().execute(async (trx) => {
      // verify reads the chain heads, then waits here to read the records...
      await sql`lock table consent_records in access exclusive mode`.execute(trx);
      verifying = s.call({ method: 'GET', url: '/v1/ledger/verify' });
      await lockWaiter();
      // ...while a write appends a record and moves the head, and commits
      await createConsentService(s.deps).record(trx, actor, {
        subject: { id },
        decisions: [{ target: { type: 'channel', key: 'email' }, state: 'withdrawn' }],
        source: 'api',
      } as never);
    });
    expect((await verifying!).json()).toMatchObject({ ok: true, firstProblem: null });
    expect((await s.call({ method: 'GET', url: '/v1/ledger/verify' })).json()).toMatchObject({ ok: true });
  });

  it('refuses the second of two merges that share a subject, once the first commits', async () => {
    const ids: string[] = [];
    for (const who of ['chain-a', 'chain-b', 'chain-c'])
      ids.push((await write(`${who}@example.com`, 'granted')).json().subjectId);
    const actor = { workspaceId: s.workspaceId, actor: 'test', requestId: 'merge-race' };
    let second: Promise<{ statusCode: number }> | undefined;
    await s.deps.db.kysely.transaction().execute(async (trx) => {
      await createConsentService(s.deps).mergeSubjects(trx, actor, ids[0], ids[1]);
      // B <- C while A <- B is not committed: it must wait for B, then see it merged
      second = s.call({ method: 'POST', url: `/v1/subjects/${ids[1]}/merge`, payload: { from: ids[2] } });
      await lockWaiter();
    });
    expect((await second!).statusCode).toBe(409);
    const rows = await s.deps.db.kysely
      .selectFrom('subjects')
      .select(['id', 'merged_into'])
      .where('id', 'in', ids)
      .execute();
    const mergedInto = Object.fromEntries(rows.map((r) => [r.id, r.merged_into]));
    expect(mergedInto).toEqual({ [ids[0]]: null, [ids[1]]: ids[0], [ids[2]]: null });
    const check = await s.call({
      method: 'POST',
      url: '/v1/check',
      payload: { subject: { identifier: { type: 'email', value: 'chain-c@example.com' } }, channel: 'email' },
    });
    expect(check.json()).toMatchObject({ allowed: true });
  });

  it('goes to the survivor when the merge commits while the write waits for the chain head', async () => {
    const into = (await write('race-into@example.com', 'granted')).json().subjectId;
    const from = (await write('race-from@example.com', 'granted')).json().subjectId;
    const db = s.deps.db.kysely;
    const actor = { workspaceId: s.workspaceId, actor: 'test', requestId: 'race' };
    let pending: ReturnType<typeof write> | undefined;
    // the merge holds the merged subject's row until it commits, once the write waits for it
    await db.transaction().execute(async (trx) => {
      await createConsentService(s.deps).mergeSubjects(trx, actor, into, from);
      // found by its identifier as it was before the merge (not yet committed): the old subject
      pending = write('race-from@example.com', 'withdrawn');
      await lockWaiter();
    });
    const res = await (pending as ReturnType<typeof write>);
    expect(res.statusCode).toBe(201);
    expect(res.json().subjectId).toBe(into);
    const state = (await s.call({ method: 'GET', url: `/v1/subjects/${into}/consents` })).json();
    expect(state.items).toEqual([
      expect.objectContaining({ target: { type: 'channel', key: 'email' }, state: 'withdrawn' }),
    ]);
    const onMerged = await db
      .selectFrom('consent_records')
      .select('id')
      .where('subject_id', '=', from)
      .execute();
    expect(onMerged).toHaveLength(1);
    const verify = (await s.call({ method: 'GET', url: '/v1/ledger/verify' })).json();
    expect(verify).toMatchObject({ ok: true });
  });
});
