import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, type Driver, Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { WriteLock } from './cluster-write-lock.ts';
import { migrations } from './migrations/index.ts';
import { prepareByText } from './pg-prepared.ts';
import type { Database } from './schema.ts';
import { isLostRace, isUniqueViolation, rowsOf } from './transaction.ts';
import { startWalCheckpointer } from './wal-checkpointer.ts';
import { createGroupCommit, type WriteUnit } from './write-queue.ts';

export type Dialect = 'sqlite' | 'postgres';

/** PostgreSQL connections per process: node-postgres's own default; on a small machine shared with PostgreSQL, fewer is faster. */
export const DEFAULT_POOL_SIZE = 10;

export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  /**
   * Runs a write in a transaction and resolves after it commits. On SQLite concurrent writes
   * share one commit (see write-queue.ts); on PostgreSQL each is its own transaction.
   */
  write<T>(run: WriteUnit<T>): Promise<T>;
  /**
   * Runs a compiled read outside any transaction, for hot paths, and gives each row as the
   * values of its select list, in order (no object per row; the column names must differ). On
   * SQLite it uses a second, read-only connection (WAL lets it read the last commit while a write
   * is under way), and the reads of one event-loop turn share a snapshot: not for a read that
   * must follow a write made in the same request.
   */
  readRows(query: CompiledQuery): Promise<unknown[][]>;
  /**
   * Ends the reads' shared snapshot now (SQLite; nothing on PostgreSQL). Reads made from a
   * `setImmediate` callback (a group of checks) call it when they are done: their snapshot would
   * otherwise last into the next turn, past writes answered in between.
   */
  endReads(): void;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `postgres://...`, else SQLite. */
  databaseUrl?: string | null;
  /** SQLite file, or `:memory:`. */
  sqliteFile?: string;
  dataDir?: string;
  poolSize?: number;
  /** SQLite page cache per connection, in MiB (SQLite's own default is 2). */
  sqliteCacheMb?: number;
  /**
   * How much of the SQLite file is read through a memory map, in MiB (0: none). Pages are then
   * read straight from the operating system's file cache, without a system call or a copy.
   */
  sqliteMmapMb?: number;
  /**
   * Checkpoint the SQLite WAL from a background thread (wal-checkpointer.ts) instead of inside
   * the commit that crosses SQLite's 1,000-page mark. For the server; one-off commands need not.
   */
  backgroundCheckpoint?: boolean;
  /** Several processes writing one SQLite file take turns at this lock (see cluster-write-lock.ts). */
  writeLock?: WriteLock;
}

/** How long a request waits for a PostgreSQL connection (a new one, or its turn at the pool). */
const CONNECT_TIMEOUT_MS = 10_000;

export function createDatabase(opts: DatabaseOptions): Db {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? DEFAULT_POOL_SIZE,
      // a database that drops traffic without a word: a 503 after this, not a request hanging for minutes
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    // a dropped connection must not crash the process: an idle one reports to the pool, one in use
    // to its client (as well as to its query, which fails), where nothing else may be listening
    pool.on('error', () => {});
    pool.on('connect', (client) => {
      client.on('error', () => {});
      prepareByText(client);
    });
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      kysely,
      dialect: 'postgres',
      write: (run) => retryOnConflict(() => kysely.transaction().execute(run)),
      readRows: (query: CompiledQuery) => rowsOf(kysely, query),
      endReads: () => {},
      close: () => kysely.destroy(),
    };
  }
  let file = opts.sqliteFile;
  if (!file) {
    const dir = opts.dataDir ?? './data';
    mkdirSync(dir, { recursive: true });
    file = join(dir, 'assent.db');
  }
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // the ledger outgrows SQLite's 2 MiB default at once: every miss is a read() of the file
  const cachePragma = `cache_size = ${-1024 * (opts.sqliteCacheMb ?? DEFAULT_CACHE_MB)}`;
  sqlite.pragma(cachePragma);
  const mmapPragma = `mmap_size = ${1024 * 1024 * (opts.sqliteMmapMb ?? DEFAULT_MMAP_MB)}`;
  sqlite.pragma(mmapPragma);
  // each write is a savepoint in a group commit: its rollback journal stays in memory, not a temp file
  sqlite.pragma('temp_store = MEMORY');
  // after the WAL is started over, a file grown by a burst is cut back to this
  sqlite.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
  const checkpointer =
    opts.backgroundCheckpoint && file !== ':memory:'
      ? startWalCheckpointer(file, () => {
          try {
            sqlite.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
          } catch {}
        })
      : null;
  if (checkpointer) sqlite.pragma(`wal_autocheckpoint = ${BACKGROUND_AUTOCHECKPOINT_PAGES}`);
  const kysely = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }),
  });
  const reader = file === ':memory:' ? null : withStatementCache(new SQLite(file, { readonly: true }));
  reader?.pragma('busy_timeout = 5000');
  reader?.pragma(cachePragma);
  reader?.pragma(mmapPragma);
  const snapshot = reader && createTickSnapshot(reader);
  return {
    kysely,
    dialect: 'sqlite',
    write: createGroupCommit(kysely, opts.writeLock),
    readRows: async (query: CompiledQuery) => {
      if (!reader || !snapshot) return rowsOf(kysely, query);
      snapshot.open();
      // only these reads use the reader's statements, so each stays in raw (array) mode
      return reader
        .prepare(query.sql)
        .raw(true)
        .all(...(query.parameters as unknown[])) as unknown[][];
    },
    endReads: () => snapshot?.end(),
    async close() {
      await checkpointer?.stop();
      await kysely.destroy();
      reader?.close();
    },
  };
}

/**
 * Two transactions that both create the same person (or key) race on a unique index: the
 * loser sees the winner's row when it runs again. A transaction PostgreSQL chose to end in a
 * deadlock runs again too. Other conflicts fail again and surface, and so does a clash of two
 * requests with one Idempotency-Key: its caller reads the winner's answer instead.
 */
async function retryOnConflict<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const again = (isUniqueViolation(err) && !isIdempotencyClash(err)) || isLostRace(err);
      if (i >= attempts || !again) throw err;
    }
  }
}

const isIdempotencyClash = (err: unknown) =>
  (err as { constraint?: unknown })?.constraint === 'idempotency_keys_pk';

/**
 * Transactions on the writing connection take SQLite's write lock when they begin (BEGIN
 * IMMEDIATE): one that began by reading could otherwise fail at its first write because another
 * process (a second worker, `assent migrate`) wrote in between; now it waits for the lock instead.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

const STATEMENT_CACHE_MAX = 500;
const DEFAULT_CACHE_MB = 64;
const DEFAULT_MMAP_MB = 4096;
const WAL_SIZE_LIMIT = 64 * 1024 * 1024;
/** SQLite's default mark, and the writer's own mark (32 MiB of 4 KiB pages) beside the checkpoint thread. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;
const BACKGROUND_AUTOCHECKPOINT_PAGES = 8192;

/**
 * Starting a read transaction costs more than a small indexed read (WAL index locks), so the
 * reads of one event-loop turn share one, ended in that turn's `setImmediate` phase, before the
 * next turn reads new requests: a request that arrives after a write was answered always sees it.
 * Reads made in the `setImmediate` phase itself end it with `end()` when they are done.
 */
function createTickSnapshot(reader: SQLite.Database) {
  let open = false;
  // prepared once: `exec` would parse the statement on every turn
  const begin = reader.prepare('BEGIN');
  const commit = reader.prepare('COMMIT');
  const end = () => {
    if (!open) return;
    open = false;
    try {
      commit.run();
    } catch {
      // nothing was read (the transaction never started) or the connection is closing
    }
  };
  return {
    open() {
      if (open) return;
      begin.run();
      open = true;
      setImmediate(end);
    },
    end,
  };
}

/**
 * Kysely prepares every query anew; on hot paths preparing costs as much as running. This
 * reuses prepared statements by SQL text (a busy one, mid-iteration, is never shared).
 */
function withStatementCache(sqlite: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  const cached = (source: string) => {
    const hit = cache.get(source);
    if (hit && !hit.busy) return hit;
    const stmt = prepare(source);
    if (!hit) {
      if (cache.size >= STATEMENT_CACHE_MAX) cache.clear();
      cache.set(source, stmt);
    }
    return stmt;
  };
  sqlite.prepare = cached as SQLite.Database['prepare'];
  return sqlite;
}

export interface MigrationReport {
  applied: string[];
}

/** Runs every pending migration; throws with the failing migration's name. */
export async function migrate(db: Db): Promise<MigrationReport> {
  const migrator = new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${cause}`);
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
