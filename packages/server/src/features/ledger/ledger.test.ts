import { hashRecord } from '@assent/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../test/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { toLedgerRecord } from '../consents/consent-store.ts';
import { createCheckpointService } from './checkpoint-service.ts';

describe.each(testDatabases())('ledger verification on %s', (kind) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(kind);
  });
  afterAll(() => s.close());

  /** One email decision for `person@example.com`, recorded through the API with the workspace's key. */
  async function consent(key: string, person: string, state = 'granted', occurredAt?: string) {
    const res = await s.call({
      method: 'POST',
      url: '/v1/consents',
      key,
      payload: {
        subject: { identifiers: [{ type: 'email', value: `${person}@example.com` }] },
        decisions: [{ target: { type: 'channel', key: 'email' }, state }],
        source: 'api',
        ...(occurredAt && { occurredAt }),
      },
    });
    expect(res.statusCode).toBe(201);
    return res.json() as { subjectId: string; records: { id: string; seq: number }[] };
  }

  /** A workspace with three subjects of three records each; returns its key and records by subject. */
  async function ledger(name: string) {
    const ws = await s.newWorkspace(`${name}-${kind}`);
    const subjects: { id: string; records: { id: string; seq: number }[] }[] = [];
    for (const person of ['ana', 'ben', 'chloe']) {
      let subjectId = '';
      const records: { id: string; seq: number }[] = [];
      for (const [i, state] of ['granted', 'withdrawn', 'granted'].entries()) {
        const res = await consent(ws.adminKey, person, state, `2026-0${i + 1}-01T00:00:00Z`);
        subjectId = res.subjectId;
        records.push(...res.records);
      }
      subjects.push({ id: subjectId, records });
    }
    const verify = async () =>
      (await s.call({ method: 'GET', url: '/v1/ledger/verify', key: ws.adminKey })).json();
    return { ws, subjects, verify };
  }
  const db = () => s.deps.db.kysely;
  const workspaceIdOf = async (name: string) =>
    (
      await db()
        .selectFrom('workspaces')
        .select('id')
        .where('key', '=', `${name}-${kind}`)
        .executeTakeFirstOrThrow()
    ).id;

  it('verifies an untouched ledger', async () => {
    const { verify } = await ledger('clean');
    expect(await verify()).toMatchObject({ ok: true, records: 9, subjects: 3, firstProblem: null });
  });

  it('names an edited record', async () => {
    const { subjects, verify } = await ledger('edited');
    const target = subjects[1].records[1];
    await db().updateTable('consent_records').set({ state: 'granted' }).where('id', '=', target.id).execute();
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'hash_mismatch', recordId: target.id, seq: 2 });
  });

  it('names the record after a deleted one', async () => {
    const { subjects, verify } = await ledger('deleted');
    const [, middle, last] = subjects[0].records;
    await db().deleteFrom('consent_records').where('id', '=', middle.id).execute();
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'sequence_gap', recordId: last.id, seq: 3 });
  });

  it('finds a deleted last record', async () => {
    const { subjects, verify } = await ledger('tail');
    await db().deleteFrom('consent_records').where('id', '=', subjects[2].records[2].id).execute();
    const report = await verify();
    expect(report.firstProblem).toMatchObject({ kind: 'missing_tail', subjectId: subjects[2].id, seq: 3 });
  });

  it('finds reordered records', async () => {
    const { subjects, verify } = await ledger('reordered');
    const [first, second] = subjects[1].records;
    // swap positions: move first out of the way, then exchange seq numbers
    await db().updateTable('consent_records').set({ seq: 99 }).where('id', '=', first.id).execute();
    await db().updateTable('consent_records').set({ seq: 1 }).where('id', '=', second.id).execute();
    await db().updateTable('consent_records').set({ seq: 2 }).where('id', '=', first.id).execute();
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstProblem.kind).toBe('hash_mismatch');
    expect(report.firstProblem.recordId).toBe(second.id);
  });

  it('finds an inserted record', async () => {
    const { subjects, verify } = await ledger('inserted');
    const row = await db()
      .selectFrom('consent_records')
      .selectAll()
      .where('id', '=', subjects[0].records[2].id)
      .executeTakeFirstOrThrow();
    await db()
      .insertInto('consent_records')
      .values({ ...row, id: '01900000-0000-7000-8000-00000000beef', seq: 4, state: 'granted' })
      .execute();
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.problems.map((p: { recordId?: string }) => p.recordId)).toContain(
      '01900000-0000-7000-8000-00000000beef',
    );
  });

  it('catches a rewritten chain through the signed checkpoint', async () => {
    const { ws, subjects, verify } = await ledger('rechained');
    const workspaceId = await workspaceIdOf('rechained');
    const cp = await createCheckpointService(s.deps).create(
      workspaceId,
      new Date(Date.now() + 1000).toISOString(),
    );
    expect(cp?.records).toBe(9);
    expect((await verify()).ok).toBe(true);
    // a forger deletes Ana's withdrawal and recomputes her chain and head: the chain verifies again
    const ana = subjects[0];
    await db().deleteFrom('consent_records').where('id', '=', ana.records[1].id).execute();
    const rows = await db()
      .selectFrom('consent_records')
      .selectAll()
      .where('subject_id', '=', ana.id)
      .orderBy('seq')
      .execute();
    let prev: string | null = null;
    for (const [i, row] of rows.entries()) {
      const rec = { ...toLedgerRecord(row), seq: i + 1, prevHash: prev };
      const hash = hashRecord(rec);
      await db()
        .updateTable('consent_records')
        .set({ seq: rec.seq, prev_hash: prev, hash })
        .where('id', '=', row.id)
        .execute();
      prev = hash;
    }
    await db()
      .updateTable('subjects')
      .set({ ledger_seq: rows.length, ledger_head: prev })
      .where('id', '=', ana.id)
      .execute();
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'checkpoint_mismatch', checkpointId: cp?.id });
    const list = (await s.call({ method: 'GET', url: '/v1/ledger/checkpoints', key: ws.adminKey })).json();
    expect(list.items[0]).toMatchObject({ id: cp?.id, records: 9 });
  });

  it('catches a checkpoint deleted together with the records it covered', async () => {
    const { ws, verify } = await ledger('holed');
    const workspaceId = await workspaceIdOf('holed');
    const checkpoints = createCheckpointService(s.deps);
    /** Checkpoints what is recorded so far; later records fall in the next window. */
    const checkpoint = async () => {
      const cp = await checkpoints.create(workspaceId, new Date(Date.now() + 1).toISOString());
      await new Promise((r) => setTimeout(r, 5));
      return cp;
    };
    await checkpoint();
    const dan = await consent(ws.adminKey, 'dan');
    const middle = await checkpoint();
    await consent(ws.adminKey, 'eve');
    const last = await checkpoint();
    expect(await verify()).toMatchObject({ ok: true, records: 11, checkpoints: 3 });
    // Dan's record, his chain head and the checkpoint that signed it: every chain still verifies
    await db().deleteFrom('consent_records').where('id', '=', dan.records[0].id).execute();
    await db()
      .updateTable('subjects')
      .set({ ledger_seq: 0, ledger_head: null })
      .where('id', '=', dan.subjectId)
      .execute();
    await db().deleteFrom('checkpoints').where('id', '=', middle!.id).execute();
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'checkpoint_gap', checkpointId: last!.id });
  });

  it("verifies one workspace without seeing another's records", async () => {
    const a = await ledger('iso-a');
    const b = await ledger('iso-b');
    await db()
      .updateTable('consent_records')
      .set({ state: 'denied' })
      .where('id', '=', b.subjects[0].records[0].id)
      .execute();
    expect((await a.verify()).ok).toBe(true);
    expect((await b.verify()).ok).toBe(false);
  });
});
