import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { createDatabase, type Db } from '../../src/db/database.ts';
import { selectedDatabases, type TestDatabase } from './selected-databases.ts';

export const testDatabases = (): TestDatabase[] => selectedDatabases();

let counter = 0;

/** A fresh, empty database of the given kind: a temp SQLite file, or a new database in the test cluster. */
export async function freshDatabaseUrl(
  kind: TestDatabase,
): Promise<{ databaseUrl: string | null; sqliteFile?: string; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'assent-test-'));
  if (kind === 'sqlite') return { databaseUrl: null, sqliteFile: join(dataDir, 'assent.db'), dataDir };
  const admin = inject('pgUrl');
  if (!admin) throw new Error('PostgreSQL tests were selected but no test cluster is running');
  const name = `t_${process.pid}_${Date.now()}_${counter++}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  return { databaseUrl: admin.replace(/\/postgres$/, `/${name}`), dataDir };
}

export async function freshDatabase(
  kind: TestDatabase,
): Promise<{ db: Db; dataDir: string; databaseUrl: string | null }> {
  const where = await freshDatabaseUrl(kind);
  return {
    db: createDatabase({ ...where, poolSize: 10 }),
    dataDir: where.dataDir,
    databaseUrl: where.databaseUrl,
  };
}
