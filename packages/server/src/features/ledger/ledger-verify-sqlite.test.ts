import { createHash } from 'node:crypto';
import { hashRecord, type LedgerRecord } from '@assent/core';
import SQLite from 'better-sqlite3';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testDatabases } from '../../../test/support/test-database.ts';
import { bootstrap } from '../../bootstrap.ts';
import { type Db, migrate } from '../../db/database.ts';
import { newId } from '../../shared/ids.ts';
import { toRow } from '../consents/consent-store.ts';
import { progressCounter } from './ledger-chain-check.ts';
import { verifyChains } from './ledger-verify.ts';
import { HASH_INPUT_SQL } from './ledger-verify-sqlite.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('the hash input built by SQLite', () => {
  const mem = new SQLite(':memory:');
  afterAll(() => mem.close());

  it('quotes every code point as JSON.stringify does', () => {
    const rows = mem
      .prepare(
        `WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n < 1114111)
         SELECT n, json_quote(char(n)) FROM c WHERE n NOT BETWEEN 55296 AND 57343`,
      )
      .raw()
      .iterate() as IterableIterator<[number, string]>;
    const differ: number[] = [];
    for (const [n, quoted] of rows) if (quoted !== JSON.stringify(String.fromCodePoint(n))) differ.push(n);
    expect(differ).toEqual([]);
  });

  it('is the input core hashes, for any record', () => {
    mem.exec(`CREATE TABLE consent_records (id, workspace_id, subject_id, seq INTEGER, target_type, target_key,
      channel, scope_type, scope_key, state, legal_basis, source, evidence, occurred_at, recorded_at,
      expires_at, prev_hash, hash)`);
    const insert = mem.prepare(`INSERT INTO consent_records VALUES (@id, @workspace_id, @subject_id, @seq,
      @target_type, @target_key, @channel, @scope_type, @scope_key, @state, @legal_basis, @source, @evidence,
      @occurred_at, @recorded_at, @expires_at, @prev_hash, @hash)`);
    const input = mem.prepare(`SELECT ${HASH_INPUT_SQL} FROM consent_records WHERE id = ?`).pluck();
    // any text SQLite can store (no lone surrogates), control characters and quotes made likely
    const text = fc.string({
      unit: fc.oneof(
        fc.constantFrom('"', '\\', '\u0000', '\n', '\u001f', '\u007f', '\u2028'),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
      ),
      maxLength: 10,
    });
    const record = fc.record({
      id: fc.uuid(),
      workspaceId: text,
      subjectId: text,
      seq: fc.integer({ min: 1, max: 2 ** 40 }),
      targetType: fc.constantFrom('purpose', 'vendor', 'channel', 'topic'),
      targetKey: text,
      channel: text,
      scopeType: fc.constantFrom('workspace', 'brand', 'property'),
      scopeKey: text,
      state: fc.constantFrom('granted', 'denied', 'withdrawn', 'pending'),
      legalBasis: fc.option(fc.constantFrom('consent', 'contract'), { nil: null }),
      source: fc.constantFrom('banner', 'form', 'api'),
      evidence: fc.dictionary(text, fc.oneof(text, fc.boolean(), fc.integer())),
      occurredAt: text,
      recordedAt: text,
      expiresAt: fc.option(text, { nil: null }),
      prevHash: fc.option(text, { nil: null }),
    });
    fc.assert(
      fc.property(record, (r) => {
        const rec = { ...r, hash: hashRecord(r as Omit<LedgerRecord, 'hash'>) } as LedgerRecord;
        insert.run(toRow(rec));
        expect(sha256(input.get(rec.id) as string)).toBe(rec.hash);
      }),
      { numRuns: 500 },
    );
  });
});

const UNKNOWN = '00000000-0000-7000-8000-000000000000';

/** `subjects` subjects of 3 chained records each, written straight to the tables. */
async function writeLedger(db: Db, workspaceId: string, subjects: number) {
  const ids: { subject: string; records: string[] }[] = [];
  for (let i = 0; i < subjects; i++) {
    const subjectId = newId();
    let prevHash: string | null = null;
    const records: LedgerRecord[] = [];
    for (const [k, state] of (['granted', 'withdrawn', 'granted'] as const).entries()) {
      const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i * 3 + k)).toISOString();
      const unsigned: Omit<LedgerRecord, 'hash'> = {
        ...{ id: newId(), workspaceId, subjectId, seq: k + 1, targetType: 'topic', targetKey: 'news' },
        ...{ channel: 'email', scopeType: 'workspace', scopeKey: '', state, legalBasis: 'consent' },
        ...{
          source: 'form',
          evidence: { ipAddress: `203.0.113.${i % 250}` },
          occurredAt: at,
          recordedAt: at,
        },
        ...{ expiresAt: null, prevHash },
      };
      prevHash = hashRecord(unsigned);
      records.push({ ...unsigned, hash: prevHash });
    }
    await db.kysely
      .insertInto('subjects')
      .values({
        ...{ id: subjectId, workspace_id: workspaceId, attributes: '{}', merged_into: null, ledger_seq: 3 },
        ...{ ledger_head: prevHash, created_at: records[0].recordedAt, updated_at: records[2].recordedAt },
      })
      .execute();
    await db.kysely.insertInto('consent_records').values(records.map(toRow)).execute();
    ids.push({ subject: subjectId, records: records.map((r) => r.id) });
  }
  return ids;
}

describe.each(testDatabases())('every way of verifying finds the same on %s', (kind) => {
  let db: Db;
  let workspaceId: string;
  let ledger: { subject: string; records: string[] }[];
  beforeAll(async () => {
    db = (await freshDatabase(kind)).db;
    await migrate(db);
    workspaceId = (await bootstrap(db, 'assent_sk_test_paths_0123456789abcdef')).workspace.id;
    ledger = await writeLedger(db, workspaceId, 80);
    const k = db.kysely;
    const rec = (s: number, r: number) => ledger[s].records[r];
    await k.updateTable('consent_records').set({ state: 'denied' }).where('id', '=', rec(3, 1)).execute();
    await k.deleteFrom('consent_records').where('id', '=', rec(7, 1)).execute();
    await k.deleteFrom('consent_records').where('id', '=', rec(11, 2)).execute();
    await k.deleteFrom('consent_records').where('subject_id', '=', ledger[15].subject).execute();
    await k.updateTable('consent_records').set({ seq: 9 }).where('id', '=', rec(20, 0)).execute();
    await k.updateTable('consent_records').set({ seq: 1 }).where('id', '=', rec(20, 1)).execute();
    await k.updateTable('consent_records').set({ seq: 2 }).where('id', '=', rec(20, 0)).execute();
    const row = await k
      .selectFrom('consent_records')
      .selectAll()
      .where('id', '=', rec(25, 2))
      .executeTakeFirstOrThrow();
    await k
      .insertInto('consent_records')
      .values({ ...row, id: newId(), seq: 4 })
      .execute();
    // records of a subject that has no chain head, first in id order
    await k
      .insertInto('consent_records')
      .values({ ...row, id: newId(), subject_id: UNKNOWN, seq: 1 })
      .execute();
    // a value SQL cannot quote: SQLite keeps what it is given, even bytes in a text column
    if (kind === 'sqlite') {
      await k
        .updateTable('consent_records')
        .set({ channel: Buffer.from('email') as unknown as string })
        .where('id', '=', rec(30, 0))
        .execute();
    }
    // many more problems than a report keeps
    for (let s = 40; s < 80; s++) {
      await k
        .updateTable('consent_records')
        .set({ target_key: 'edited' })
        .where('subject_id', '=', ledger[s].subject)
        .execute();
    }
  });
  afterAll(() => db.close());

  const through = (opts: Parameters<typeof verifyChains>[1]) => verifyChains(db.kysely, opts);

  it('names each kind of tampering, in ledger order', async () => {
    const report = await through({ direct: false });
    expect(report.records).toBe(80 * 3 - 5 + 2);
    expect(report.problems).toHaveLength(100);
    const byKind = (kind: string) =>
      report.problems.filter((p) => p.kind === kind).map((p) => p.recordId ?? p.subjectId);
    expect(byKind('hash_mismatch')).toContain(ledger[3].records[1]);
    expect(byKind('sequence_gap')).toContain(ledger[7].records[2]);
    expect(byKind('missing_tail')).toEqual(expect.arrayContaining([ledger[11].subject, ledger[15].subject]));
    expect(byKind('hash_mismatch')).toContain(ledger[20].records[1]);
    expect(byKind('unknown_subject')).toEqual([UNKNOWN]);
    expect(byKind('hash_mismatch')).toContain(ledger[40].records[0]);
    if (kind === 'sqlite') expect(byKind('hash_mismatch')).toContain(ledger[30].records[0]);
    const order = report.problems.map((p) => p.subjectId ?? '');
    expect(order).toEqual([...order].sort());
  });

  it('gives the same report in one range or many, in process or on threads', async () => {
    const reference = await through({ direct: false });
    const ways: Parameters<typeof verifyChains>[1][] = [
      { direct: false, rangeSubjects: 7 },
      { threads: 0, rangeSubjects: 1 },
      { threads: 0, rangeSubjects: 1000 },
      { threads: 'only', rangeSubjects: 7 },
      { threads: 2, rangeSubjects: 3 },
    ];
    for (const opts of kind === 'sqlite' ? ways : ways.slice(0, 1)) {
      expect(await through(opts), JSON.stringify(opts)).toEqual(reference);
    }
  }, 60_000);

  it('verifies one workspace alone', async () => {
    const other = (
      await db.kysely
        .insertInto('workspaces')
        .values(await workspaceRow(db))
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    await writeLedger(db, other, 5);
    for (const opts of kind === 'sqlite'
      ? [{ direct: false }, { threads: 0 }, { threads: 'only' as const }]
      : [{}]) {
      const report = await through({ ...opts, workspaceId: other, rangeSubjects: 2 });
      expect(report).toEqual({ records: 15, subjects: 5, problems: [] });
    }
  }, 60_000);
});

describe('a verification thread that fails', () => {
  it("passes on SQLite's code, so the server can tell a database out of reach from a broken one", async () => {
    const { db } = await freshDatabase('sqlite');
    try {
      await migrate(db);
      const workspaceId = (await bootstrap(db, 'assent_sk_test_thread_0123456789abcdef')).workspace.id;
      await writeLedger(db, workspaceId, 3);
      // what the main thread reads still works: the threads fail on their first range
      await sql`alter table subjects rename column ledger_head to renamed_head`.execute(db.kysely);
      await expect(verifyChains(db.kysely, { threads: 'only' })).rejects.toMatchObject({
        code: 'SQLITE_ERROR',
        message: expect.stringContaining('no such column: ledger_head'),
      });
    } finally {
      await db.close();
    }
  }, 30_000);
});

/** A second workspace row shaped like the bootstrapped one. */
async function workspaceRow(db: Db) {
  const first = await db.kysely.selectFrom('workspaces').selectAll().executeTakeFirstOrThrow();
  return { ...first, id: newId(), key: `other-${Date.now()}`, name: 'other' };
}

describe('progress', () => {
  it('is reported at every 100,000 records, however the counts arrive', () => {
    const marks: number[] = [];
    const add = progressCounter((n) => marks.push(n));
    for (const n of [30_000, 90_000, 5000, 95_000, 1]) add(n);
    expect(marks).toEqual([100_000, 200_000]);
  });
});
