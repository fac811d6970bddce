import { CompiledQuery, Migrator, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { freshDatabase, testDatabases } from '../../test/support/test-database.ts';
import { recordsOfSubjects } from '../features/consents/consent-store.ts';
import type { Db } from './database.ts';
import { migrate } from './database.ts';
import { migrations } from './migrations/index.ts';

/** A fresh database of `kind` with the migrations up to and including `name` applied, and no later one. */
async function migratedTo(kind: Parameters<typeof freshDatabase>[0], name: string): Promise<Db> {
  const { db } = await freshDatabase(kind);
  const migrator = new Migrator({ db: db.kysely, provider: { getMigrations: async () => migrations } });
  expect((await migrator.migrateTo(name)).error).toBeUndefined();
  return db;
}

/** The workspace the rows of these tests belong to. */
const addWorkspace = (db: Db) =>
  db.kysely
    .insertInto('workspaces')
    .values({ id: 'ws-1', key: 'ws-1', name: 'W', settings: '{}', created_at: '2026-11-01T10:00:00.000Z' })
    .execute();

const stateRow = (subject: string, key: string, state: string) => ({
  workspace_id: 'ws-1',
  subject_id: subject,
  target_type: 'topic',
  target_key: key,
  channel: 'email',
  scope_type: 'workspace',
  scope_key: '',
  state,
  record_id: `rec-${subject}-${key}`,
  source: 'api',
  occurred_at: '2026-11-01T10:00:00.000Z',
  expires_at: key === 'offers' ? '2027-05-01T10:00:00.000Z' : null,
});

describe('migration 20261125T2130-consent-state-clustered on SQLite', () => {
  let db: Db | null = null;
  afterEach(async () => {
    await db?.close();
    db = null;
  });

  it('keeps every consent_state row and makes the table WITHOUT ROWID', async () => {
    db = await migratedTo('sqlite', '20261125T1800-collect');
    const rows = ['s-1', 's-2', 's-3'].flatMap((s, i) => [
      stateRow(s, 'newsletter', i % 2 ? 'granted' : 'withdrawn'),
      stateRow(s, 'offers', 'granted'),
    ]);
    await db.kysely.insertInto('consent_state').values(rows).execute();

    expect((await migrate(db)).applied).toContain('20261125T2130-consent-state-clustered');

    const after = await db.kysely
      .selectFrom('consent_state')
      .selectAll()
      .orderBy('subject_id')
      .orderBy('target_key')
      .execute();
    expect(after).toEqual(rows);
    const ddl = await sql<{
      sql: string;
    }>`select sql from sqlite_schema where name = 'consent_state'`.execute(db.kysely);
    expect(ddl.rows[0].sql).toMatch(/WITHOUT ROWID\s*$/);
    // the primary key still refuses a second row for one slot
    await expect(db.kysely.insertInto('consent_state').values(rows[0]).execute()).rejects.toThrow(
      /UNIQUE|PRIMARY/,
    );
  });
});

describe.each(testDatabases())('migration 20261126T0500-history-from-chain on %s', (kind) => {
  let db: Db | null = null;
  afterEach(async () => {
    await db?.close();
    db = null;
  });

  it("drops the history index; a subject's records are then found through the chain index", async () => {
    db = (await freshDatabase(kind)).db;
    expect((await migrate(db)).applied).toContain('20261126T0500-history-from-chain');
    const indexes =
      kind === 'sqlite'
        ? sql<{
            name: string;
          }>`select name from sqlite_schema where type = 'index' and tbl_name = 'consent_records'`
        : sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'consent_records'`;
    const names = (await indexes.execute(db.kysely)).rows.map((r) => r.name);
    expect(names).not.toContain('consent_records_history');
    expect(names).toContain('consent_records_recorded');
    if (kind !== 'sqlite') return;
    // two subjects (a person and one merged into them) with a cursor: the shape of a history page (consent-routes.ts)
    const page = recordsOfSubjects(db.kysely, 'ws-1', ['s-1', 's-2'])
      .where((eb) =>
        eb.or([
          eb('occurred_at', '<', '2026-11-01T00:00:00.000Z'),
          eb.and([eb('occurred_at', '=', '2026-11-01T00:00:00.000Z'), eb('id', '<', 'r-9')]),
        ]),
      )
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .limit(51)
      .compile();
    const plan = await db.kysely.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`explain query plan ${page.sql}`, [...page.parameters]),
    );
    const steps = plan.rows.map((r) => r.detail).join('\n');
    expect(steps).toMatch(/USING INDEX sqlite_autoindex_consent_records_\d \(subject_id=\?\)/);
    expect(steps).not.toMatch(/consent_records_recorded/);
  });
});

describe.each(testDatabases())('migration 20261126T1030-chosen-key-prefix on %s', (kind) => {
  let db: Db | null = null;
  afterEach(async () => {
    await db?.close();
    db = null;
  });

  it('lists a chosen secret by a fingerprint of its hash and leaves generated prefixes alone', async () => {
    db = await migratedTo(kind, '20261126T0500-history-from-chain');
    const key = (id: string, prefix: string, hash: string) => ({
      id,
      workspace_id: 'ws-1',
      name: id,
      role: 'owner',
      prefix,
      secret_hash: hash,
      created_at: '2026-11-01T10:00:00.000Z',
      revoked_at: null,
    });
    await addWorkspace(db);
    await db.kysely
      .insertInto('api_keys')
      .values([
        key('chosen', 'my-own-operato', 'a'.repeat(64)),
        key('generated', 'assent_sk_AbCd', 'b'.repeat(64)),
      ])
      .execute();
    expect((await migrate(db)).applied).toContain('20261126T1030-chosen-key-prefix');
    const rows = await db.kysely.selectFrom('api_keys').select(['id', 'prefix']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 'chosen', prefix: 'sha256:aaaaaaaa' },
      { id: 'generated', prefix: 'assent_sk_AbCd' },
    ]);
  });
});

describe('migration 20261127T0800-subjects-clustered on SQLite', () => {
  let db: Db | null = null;
  afterEach(async () => {
    await db?.close();
    db = null;
  });

  it('keeps subjects and identifiers, keys them by their lookups, and still enforces the constraints', async () => {
    db = await migratedTo('sqlite', '20261126T1030-chosen-key-prefix');
    await addWorkspace(db);
    const at = '2026-11-01T10:00:00.000Z';
    const subject = (id: string, mergedInto: string | null) => ({
      id,
      workspace_id: 'ws-1',
      attributes: `{"name":"${id}"}`,
      merged_into: mergedInto,
      ledger_seq: 2,
      ledger_head: 'f'.repeat(64),
      created_at: at,
      updated_at: at,
    });
    const subjects = [subject('s-1', null), subject('s-2', 's-1')];
    const identifiers = [
      {
        id: 'i-1',
        workspace_id: 'ws-1',
        subject_id: 's-1',
        type: 'email',
        value: 'ana@example.com',
        created_at: at,
      },
      {
        id: 'i-2',
        workspace_id: 'ws-1',
        subject_id: 's-1',
        type: 'phone',
        value: '+33612345678',
        created_at: at,
      },
    ];
    await db.kysely.insertInto('subjects').values(subjects).execute();
    await db.kysely.insertInto('subject_identifiers').values(identifiers).execute();

    expect((await migrate(db)).applied).toContain('20261127T0800-subjects-clustered');

    expect(await db.kysely.selectFrom('subjects').selectAll().orderBy('id').execute()).toEqual(subjects);
    expect(await db.kysely.selectFrom('subject_identifiers').selectAll().orderBy('id').execute()).toEqual(
      identifiers,
    );
    const ddl = await sql<{ name: string; sql: string | null }>`
      select name, sql from sqlite_schema where tbl_name in ('subjects', 'subject_identifiers')`.execute(
      db.kysely,
    );
    const of = (name: string) => ddl.rows.find((r) => r.name === name)?.sql ?? '';
    expect(of('subjects')).toMatch(/WITHOUT ROWID\s*$/);
    expect(of('subject_identifiers')).toMatch(/WITHOUT ROWID\s*$/);
    expect(ddl.rows.map((r) => r.name)).toEqual(
      expect.arrayContaining(['subjects_workspace', 'subjects_merged', 'subject_identifiers_subject']),
    );
    // an identifier is held once per workspace, its id is unique, and it must name an existing subject
    const again = { ...identifiers[0], id: 'i-3', subject_id: 's-2' };
    await expect(db.kysely.insertInto('subject_identifiers').values(again).execute()).rejects.toThrow(
      /UNIQUE|PRIMARY/,
    );
    const sameId = { ...identifiers[0], value: 'other@example.com' };
    await expect(db.kysely.insertInto('subject_identifiers').values(sameId).execute()).rejects.toThrow(
      /UNIQUE/,
    );
    const orphan = { ...identifiers[0], id: 'i-4', value: 'bo@example.com', subject_id: 'nobody' };
    await expect(db.kysely.insertInto('subject_identifiers').values(orphan).execute()).rejects.toThrow(
      /FOREIGN KEY/,
    );
    // the plan of a check's lookup: one search of each table by its key
    const plan = await db.kysely.executeQuery<{ detail: string }>(
      CompiledQuery.raw(
        `explain query plan select s.attributes from subject_identifiers i join subjects s on s.id = i.subject_id
         where i.workspace_id = ? and i.type = ? and i.value = ?`,
        ['ws-1', 'email', 'ana@example.com'],
      ),
    );
    const steps = plan.rows.map((r) => r.detail).join('\n');
    expect(steps).toMatch(/SEARCH i USING PRIMARY KEY \(workspace_id=\? AND type=\? AND value=\?\)/);
    expect(steps).toMatch(/SEARCH s USING PRIMARY KEY \(id=\?\)/);
  });
});
