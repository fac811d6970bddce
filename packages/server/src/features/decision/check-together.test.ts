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

  /** A decision service reading through the server's own database, counting (or refusing) its reads. */
  function service(refuse?: (q: CompiledQuery) => boolean) {
    const reads: CompiledQuery[] = [];
    const svc = createDecisionService(s.deps.db.kysely, {
      read: (q) => {
        reads.push(q);
        if (refuse?.(q)) throw new Error('read refused');
        return s.deps.db.read(q);
      },
    });
    return { svc, reads };
  }
  const bodies = mixed.map((c) => c.body);

  it('reads once for all of them, and answers in order', async () => {
    const one = service();
    const alone: CheckResult[] = [];
    for (const b of bodies) alone.push(await one.svc.check(s.workspaceId, b));
    const together = service();
    const answers = await Promise.all(bodies.map((b) => together.svc.check(s.workspaceId, b)));
    expect(answers).toEqual(alone);
    // alone: at least the subject read per check; together: one subject read, one suppression read
    expect(one.reads.length).toBeGreaterThanOrEqual(bodies.length);
    expect(together.reads.length).toBe(2);
    // more than a group holds goes in several groups, each answered
    const many = Array.from({ length: 40 }, (_, i) => bodies[i % bodies.length]);
    const big = service();
    const manyAnswers = await Promise.all(many.map((b) => big.svc.check(s.workspaceId, b)));
    expect(manyAnswers).toEqual(many.map((_, i) => alone[i % bodies.length]));
    expect(big.reads.length).toBe(6);
  });

  it('evaluates each alone when their group fails, so one check cannot fail another', async () => {
    const asked = (q: CompiledQuery) =>
      q.parameters.filter((p) => typeof p === 'string' && p.endsWith('@together.example'));
    // a read for several addresses fails, and any read for ben's
    const { svc, reads } = service((q) => asked(q).length > 1 || asked(q).includes('ben@together.example'));
    const answers = await Promise.allSettled(bodies.map((b) => svc.check(s.workspaceId, b)));
    expect(answers.map((a) => a.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const reasons = answers.map((a) => (a.status === 'fulfilled' ? a.value.reason : null));
    expect(reasons).toEqual(['granted', null, 'suppressed', 'no_consent', 'granted', null, 'granted']);
    // they were first read as one group
    expect(asked(reads[0]).length).toBeGreaterThan(1);
  });
});
