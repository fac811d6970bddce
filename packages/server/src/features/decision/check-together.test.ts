import { identifierHash, normalizeIdentifier } from '@assent/core';
import type { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../test/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { type CheckResult, type CheckSpec, createDecisionService } from './decision-service.ts';
import { seedCatalog } from './test-fixtures.ts';

const email = (value: string) => ({ identifier: { type: 'email', value } });

describe.each(testDatabases())('single checks that arrive together on %s', (kind) => {
  let s: TestServer;
  let other: { id: string; adminKey: string };
  beforeAll(async () => {
    s = await startTestServer(kind);
    other = await s.newWorkspace('together-other');
    await seedCatalog(s);
    await seedCatalog(s, other.adminKey);
    const record = async (key: string | undefined, value: string, state: string, target: object) => {
      const res = await s.call({
        method: 'POST',
        url: '/v1/consents',
        key,
        payload: {
          subject: { identifiers: [email(value).identifier] },
          decisions: [{ ...target, state }],
          source: 'form',
        },
      });
      if (res.statusCode !== 201) throw new Error(`consents: ${res.statusCode} ${res.body}`);
    };
    const newsletter = { target: { type: 'topic', key: 'newsletter' }, channel: 'email' };
    await record(undefined, 'ana@together.example', 'granted', newsletter);
    await record(undefined, 'ben@together.example', 'withdrawn', newsletter);
    await record(undefined, 'ana@together.example', 'granted', { target: { type: 'purpose', key: 'ads' } });
    // the same address in another workspace, with the opposite answer
    await record(other.adminKey, 'ana@together.example', 'withdrawn', newsletter);
    await record(other.adminKey, 'ben@together.example', 'granted', newsletter);
    const suppress = await s.call({
      method: 'POST',
      url: '/v1/suppressions',
      payload: {
        identifier: email('cy@together.example').identifier,
        channel: 'email',
        reason: 'hard_bounce',
      },
    });
    expect(suppress.statusCode).toBe(201);
  });
  afterAll(() => s.close());

  const mixed: { key?: string; body: CheckSpec }[] = [
    { body: { subject: email('ana@together.example'), channel: 'email', topic: 'newsletter' } },
    { body: { subject: email('ben@together.example'), channel: 'email', topic: 'weekly' } },
    { body: { subject: email('cy@together.example'), channel: 'email' } },
    { body: { subject: email('nobody@together.example'), channel: 'email', topic: 'newsletter' } },
    { body: { subject: email('ANA@together.example'), purpose: 'ads' } },
    { body: { subject: email('ben@together.example'), purpose: 'fraud' } },
    { body: { subject: email('ana@together.example'), channel: 'email', topic: 'newsletter' } },
  ];
  const withOther = [
    ...mixed,
    ...mixed.map((c) => ({ ...c, key: 'other' })),
    { key: 'other', body: { subject: email('ben@together.example'), channel: 'email', topic: 'newsletter' } },
  ];
  const call = async (c: { key?: string; body: CheckSpec }) => {
    const res = await s.call({
      method: 'POST',
      url: '/v1/check',
      key: c.key && other.adminKey,
      payload: c.body as object,
    });
    expect(res.statusCode).toBe(200);
    return res.json();
  };

  it('answers each as it is answered alone, workspaces apart', async () => {
    const alone: { reason: string }[] = [];
    for (const c of withOther) alone.push(await call(c));
    expect(alone.map((a) => a.reason)).toEqual([
      ...['granted', 'withdrawn', 'suppressed', 'no_consent', 'granted', 'legitimate_interest', 'granted'],
      ...['withdrawn', 'granted', 'no_consent', 'no_consent', 'no_consent', 'legitimate_interest'],
      ...['withdrawn', 'granted'],
    ]);
    const together = await Promise.all(withOther.map(call));
    expect(together).toEqual(alone);
  });

  /** A decision service reading through the server's own database, counting (or failing) its reads. */
  function service(fail?: (q: CompiledQuery) => Error | undefined) {
    const reads: CompiledQuery[] = [];
    const svc = createDecisionService(s.deps.db.kysely, {
      read: (q) => {
        reads.push(q);
        const err = fail?.(q);
        if (err) throw err;
        return s.deps.db.readRows(q);
      },
      endReads: () => s.deps.db.endReads(),
    });
    return { svc, reads };
  }
  const bodies = mixed.map((c) => c.body);
  const people = ['ana', 'ben', 'cy', 'nobody', 'dan'].map((n) => `${n}@together.example`);
  const newsletterOf = (address: string): CheckSpec => ({
    subject: email(address),
    channel: 'email',
    topic: 'newsletter',
  });
  const asked = (q: CompiledQuery) =>
    q.parameters.filter((p) => typeof p === 'string' && p.endsWith('@together.example'));

  it('reads once for all that ask the same question, and answers each in order', async () => {
    const same = people.map(newsletterOf);
    const one = service();
    const alone: CheckResult[] = [];
    for (const b of same) alone.push(await one.svc.check(s.workspaceId, b));
    expect(alone.map((a) => a.reason)).toEqual([
      'granted',
      'withdrawn',
      'suppressed',
      'no_consent',
      'no_consent',
    ]);
    const together = service();
    expect(await Promise.all(same.map((b) => together.svc.check(s.workspaceId, b)))).toEqual(alone);
    // alone: people and suppressions read for each; together: once for all
    expect(one.reads.length).toBe(2 * same.length);
    expect(together.reads.length).toBe(2);
    // more than a group holds goes in several groups (16, 16, 8), each answered
    const many = Array.from({ length: 40 }, (_, i) => same[i % same.length]);
    const big = service();
    const manyAnswers = await Promise.all(many.map((b) => big.svc.check(s.workspaceId, b)));
    expect(manyAnswers).toEqual(many.map((_, i) => alone[i % same.length]));
    expect(big.reads.length).toBe(6);
  });

  it('groups only checks that ask the same question, by the same kind of identifier', async () => {
    const one = service();
    const alone: CheckResult[] = [];
    for (const b of bodies) alone.push(await one.svc.check(s.workspaceId, b));
    const together = service();
    expect(await Promise.all(bodies.map((b) => together.svc.check(s.workspaceId, b)))).toEqual(alone);
    // newsletter by email x3, weekly, the channel alone (each: people, suppressions); ads, fraud (people)
    expect(together.reads.length).toBe(2 * 3 + 2);
    const groups = together.reads.map((q) => asked(q).length).filter((n) => n > 0);
    expect(groups.sort()).toEqual([1, 1, 1, 1, 2]);
  });

  it('does not group the same question asked by another kind of identifier', async () => {
    const { svc, reads } = service();
    const byCustomerId: CheckSpec = {
      subject: { identifier: { type: 'customer_id', value: 'c-together-1' } },
      channel: 'email',
      topic: 'newsletter',
    };
    await Promise.all([
      svc.check(s.workspaceId, newsletterOf('ana@together.example')),
      svc.check(s.workspaceId, byCustomerId),
    ]);
    // a group each: people and suppressions each
    expect(reads.length).toBe(4);
  });

  it('gives the reads of a group a few shapes only, whatever its size', async () => {
    const { svc, reads } = service();
    for (let size = 1; size <= 16; size++) {
      const group = Array.from({ length: size }, (_, i) => newsletterOf(`p${i}@together.example`));
      await Promise.all(group.map((b) => svc.check(s.workspaceId, b)));
    }
    // people and suppressions, each padded to 1, 2, 4, 8 or 16 values
    expect(new Set(reads.map((q) => q.sql)).size).toBe(10);
  });

  it('sees a write answered after a group read, at the next request', async () => {
    const { svc } = service();
    const who = 'eve@together.example';
    // the next turn's timers, which come before its setImmediate phase: the timer is due by then
    const nextTurn = () =>
      new Promise<void>((r) => {
        setTimeout(r, 0);
        const until = Date.now() + 3;
        while (Date.now() < until) {}
      });
    expect((await svc.checkBatch(s.workspaceId, [newsletterOf(who)]))[0].reason).toBe('no_consent');
    await nextTurn();
    // a group of single checks reads in the setImmediate phase; a write is answered there too
    const single = svc.check(s.workspaceId, newsletterOf('other@together.example'));
    for (let i = 0; i < 20; i++) await null;
    await s.deps.db.write((trx) =>
      trx
        .insertInto('suppressions')
        .values({
          id: 'sup_eve_together',
          workspace_id: s.workspaceId,
          channel: 'email',
          identifier_hash: identifierHash(normalizeIdentifier(email(who).identifier)),
          reason: 'hard_bounce',
          created_at: new Date().toISOString(),
        })
        .execute(),
    );
    await single;
    await nextTurn();
    expect((await svc.checkBatch(s.workspaceId, [newsletterOf(who)]))[0].reason).toBe('suppressed');
  });

  const refused = () =>
    Object.assign(new Error('canceling statement due to statement timeout'), {
      severity: 'ERROR',
      code: '57014',
    });
  const same = people.map(newsletterOf);

  it('evaluates each alone when the database refuses their group, so one check cannot fail another', async () => {
    // a read for several addresses is refused, and any read for ben's
    const { svc, reads } = service((q) =>
      asked(q).length > 1 || asked(q).includes('ben@together.example') ? refused() : undefined,
    );
    const answers = await Promise.allSettled(same.map((b) => svc.check(s.workspaceId, b)));
    expect(
      answers.map((a) => (a.status === 'fulfilled' ? a.value.reason : (a.reason as { code: string }).code)),
    ).toEqual(['granted', '57014', 'suppressed', 'no_consent', 'no_consent']);
    // they were first read as one group
    expect(asked(reads[0]).length).toBe(same.length);
  });

  it('fails the whole group, without reading each again, on an error that is not a refusal', async () => {
    const lost = () => Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });
    const { svc, reads } = service((q) => (asked(q).length > 1 ? lost() : undefined));
    const answers = await Promise.allSettled(same.map((b) => svc.check(s.workspaceId, b)));
    expect(answers.map((a) => a.status)).toEqual(same.map(() => 'rejected'));
    expect(reads.filter((q) => asked(q).length > 0).map((q) => asked(q).length)).toEqual([same.length]);
  });
});
