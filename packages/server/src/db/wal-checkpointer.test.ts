import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, type Db } from './database.ts';

// A SQLite feature (PostgreSQL has no WAL file to checkpoint): tested on SQLite only.
describe('the background WAL checkpoint (SQLite)', () => {
  let db: Db | null = null;
  let dir = '';
  afterEach(async () => {
    await db?.close();
    db = null;
    rmSync(dir, { recursive: true, force: true });
  });

  // ~1.5 MiB of rows: under both automatic marks (1,000 and 8,192 pages), so only a checkpoint
  // made by someone else moves them from the WAL into the database file
  async function writeRows(d: Db) {
    await sql`CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`.execute(d.kysely);
    const before = statSync(join(dir, 'assent.db')).size;
    await d.write(async (trx) => {
      for (let i = 0; i < 300; i++) {
        await sql`INSERT INTO filler (body) VALUES (${'x'.repeat(5000)})`.execute(trx);
      }
    });
    return before;
  }

  it('copies committed pages into the database file beside the writes, and stops on close', async () => {
    dir = mkdtempSync(join(tmpdir(), 'assent-wal-'));
    db = createDatabase({ dataDir: dir, backgroundCheckpoint: true });
    const before = await writeRows(db);
    const deadline = Date.now() + 5000;
    while (statSync(join(dir, 'assent.db')).size < before + 1_000_000 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(statSync(join(dir, 'assent.db')).size).toBeGreaterThan(before + 1_000_000);
    const rows = await sql<{ n: number }>`SELECT count(*) AS n FROM filler`.execute(db.kysely);
    expect(rows.rows[0].n).toBe(300);
    await db.close();
    db = null;
  });

  it('without it, the same writes stay in the WAL until a checkpoint', async () => {
    dir = mkdtempSync(join(tmpdir(), 'assent-wal-'));
    db = createDatabase({ dataDir: dir });
    const before = await writeRows(db);
    await new Promise((r) => setTimeout(r, 500));
    expect(statSync(join(dir, 'assent.db')).size).toBe(before);
    expect(statSync(join(dir, 'assent.db-wal')).size).toBeGreaterThan(1_000_000);
  });
});
