import { type Kysely, SqliteAdapter, sql } from 'kysely';

// Reviewed by hand; forward-only. On SQLite, subjects and subject_identifiers become WITHOUT
// ROWID tables keyed by what a check looks them up by: a subject by its id, an identifier by
// (workspace, type, value). Each lookup is then one B-tree descent instead of two (an index, then
// the table by rowid), and a write updates one B-tree fewer. The columns, constraints and indexes
// are otherwise those of the initial migration. PostgreSQL keeps its tables as they are.
//
// The order matters with foreign keys on (migrations run in one transaction, where
// `PRAGMA foreign_keys` cannot change): the new identifiers table refers to the new subjects
// table, the old identifiers go before the old subjects, so no row ever points at a dropped table,
// and renaming subjects_new carries the reference along.
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  await sql`
    CREATE TABLE subjects_new (
      id varchar(36) NOT NULL PRIMARY KEY,
      workspace_id varchar(36) NOT NULL REFERENCES workspaces (id),
      attributes text NOT NULL DEFAULT '{}',
      merged_into varchar(36),
      ledger_seq integer NOT NULL DEFAULT 0,
      ledger_head varchar(64),
      created_at varchar(30) NOT NULL,
      updated_at varchar(30) NOT NULL
    ) WITHOUT ROWID`.execute(db);
  await sql`
    INSERT INTO subjects_new
    SELECT id, workspace_id, attributes, merged_into, ledger_seq, ledger_head, created_at, updated_at
    FROM subjects ORDER BY id`.execute(db);
  await sql`
    CREATE TABLE subject_identifiers_new (
      id varchar(36) NOT NULL UNIQUE,
      workspace_id varchar(36) NOT NULL,
      subject_id varchar(36) NOT NULL REFERENCES subjects_new (id),
      type varchar(64) NOT NULL,
      value varchar(320) NOT NULL,
      created_at varchar(30) NOT NULL,
      CONSTRAINT subject_identifiers_value PRIMARY KEY (workspace_id, type, value)
    ) WITHOUT ROWID`.execute(db);
  await sql`
    INSERT INTO subject_identifiers_new
    SELECT id, workspace_id, subject_id, type, value, created_at
    FROM subject_identifiers ORDER BY workspace_id, type, value`.execute(db);
  await sql`DROP TABLE subject_identifiers`.execute(db);
  await sql`DROP TABLE subjects`.execute(db);
  await sql`ALTER TABLE subjects_new RENAME TO subjects`.execute(db);
  await sql`ALTER TABLE subject_identifiers_new RENAME TO subject_identifiers`.execute(db);
  await sql`CREATE INDEX subjects_workspace ON subjects (workspace_id, id)`.execute(db);
  await sql`CREATE INDEX subjects_merged ON subjects (merged_into)`.execute(db);
  await sql`CREATE INDEX subject_identifiers_subject ON subject_identifiers (subject_id)`.execute(db);
}
