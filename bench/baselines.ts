import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { type LoadResult, random, runLoad } from './load.ts';
import { startChild } from './server-process.ts';

/** The request every HTTP baseline and the check receive: the same shape, varied identifiers. */
export function checkBody(knownSubjects: number, seed = 1): () => string {
  const rnd = random(seed);
  return () => {
    // one in ten asks about a stranger
    const i = Math.floor(rnd() * knownSubjects * 1.1);
    return JSON.stringify({
      subject: { identifier: { type: 'email', value: `user${i}@bench.example` } },
      channel: 'email',
      topic: 'newsletter',
    });
  };
}

export interface BaselineServer {
  /** One load (after autocannon's warm-up), as the check receives it. */
  load(seconds: number): Promise<LoadResult>;
  stop(): Promise<void>;
}

/** Baseline A ("constant") or B ("sqlite"): the bare route in its own process (or `workers` of them), kept running. */
export async function startBaseline(
  mode: 'constant' | 'sqlite',
  opts: { rows: number; connections: number; workers?: number },
): Promise<BaselineServer> {
  const child = await startChild({
    name: `baseline ${mode}`,
    args: ['bench/baseline-server.ts', mode, String(opts.rows)],
    env: { WORKERS: String(opts.workers ?? 1) },
    readyPath: '/ready',
  });
  return {
    load: (seconds) =>
      runLoad({
        url: `${child.url}/check`,
        connections: opts.connections,
        seconds,
        body: checkBody(opts.rows),
      }),
    stop: () => child.stop(),
  };
}

/** One load of a baseline under the check's load, in a process started for it. */
export async function httpBaseline(
  mode: 'constant' | 'sqlite',
  opts: { rows: number; seconds: number; connections: number; workers?: number },
): Promise<LoadResult> {
  const server = await startBaseline(mode, opts);
  try {
    return await server.load(opts.seconds);
  } finally {
    await server.stop();
  }
}

/** Raw SQLite: single-row write transactions per second on an indexed table, same pragmas as the server. */
export function rawSqliteTransactions(seconds: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'assent-bench-raw-'));
  const db = new SQLite(join(dir, 'raw.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, subject TEXT NOT NULL, state TEXT NOT NULL)');
    db.exec('CREATE INDEX t_subject ON t (subject)');
    const insert = db.prepare('INSERT INTO t (subject, state) VALUES (?, ?)');
    const one = db.transaction((i: number) => insert.run(`subject-${i}`, 'granted'));
    const start = performance.now();
    const end = start + seconds * 1000;
    let n = 0;
    while (n < 10_000_000) {
      one(n++);
      if ((n & 255) === 0 && performance.now() > end) break;
    }
    return n / ((performance.now() - start) / 1000);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Raw PostgreSQL: committed single-row inserts per second over `connections` connections. */
export async function rawPgCommits(url: string, seconds: number, connections = 16): Promise<number> {
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  try {
    await setup.query(
      'CREATE TABLE raw_bench (id bigserial PRIMARY KEY, subject text NOT NULL, state text NOT NULL)',
    );
    await setup.query('CREATE INDEX raw_bench_subject ON raw_bench (subject)');
    const clients = Array.from({ length: connections }, () => new pg.Client({ connectionString: url }));
    await Promise.all(clients.map((c) => c.connect()));
    const start = performance.now();
    const end = start + seconds * 1000;
    let n = 0;
    try {
      await Promise.all(
        clients.map(async (c, k) => {
          for (let i = 0; i < 10_000_000 && performance.now() < end; i++) {
            await c.query('INSERT INTO raw_bench (subject, state) VALUES ($1, $2)', [
              `s-${k}-${i}`,
              'granted',
            ]);
            n++;
          }
        }),
      );
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    return n / ((performance.now() - start) / 1000);
  } finally {
    await setup.query('DROP TABLE IF EXISTS raw_bench').catch(() => {});
    await setup.end();
  }
}
