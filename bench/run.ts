// `npm run bench`: every figure beside the baseline it is compared with, then bench/RESULTS.md.
// BENCH_RECORDS (default 1000000) and BENCH_DURATION (seconds per load phase, default 10) scale it.
import { fileURLToPath } from 'node:url';
import { httpBaseline, rawSqliteTransactions } from './baselines.ts';
import { createContext } from './context.ts';
import { buildFigures, type Measurements } from './figures.ts';
import type { LoadResult } from './load.ts';
import { runPostgres } from './postgres-phase.ts';
import { describeMachine, fmt, loadAverage, markdownReport, textTable, writeReport } from './report.ts';
import { CONNECTIONS } from './scenarios.ts';
import { stopAllChildren } from './server-process.ts';
import { runSqlite } from './sqlite-phase.ts';

const RESULTS = fileURLToPath(new URL('RESULTS.md', import.meta.url));

async function main(): Promise<number> {
  const ctx = createContext();
  ctx.onCleanup(stopAllChildren);
  const stopOnSignal = (signal: string) => {
    process.stderr.write(`\n${signal}: stopping servers and the PostgreSQL cluster...\n`);
    void ctx.cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => stopOnSignal('SIGINT'));
  process.once('SIGTERM', () => stopOnSignal('SIGTERM'));

  const machine = describeMachine();
  const started = performance.now();
  ctx.log(`${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, Node ${machine.node}`);
  ctx.log(
    `records ${fmt(ctx.records)} (PostgreSQL ${fmt(ctx.pgRecords)}), ${ctx.seconds} s per load phase, ${CONNECTIONS} connections; load average ${machine.load}`,
  );
  try {
    ctx.log('raw SQLite single-row transactions...');
    const rawSqlite = rawSqliteTransactions(Math.min(ctx.seconds, 5));
    ctx.log(`  ${fmt(rawSqlite)} transactions/s`);

    const rows = Math.ceil(ctx.records / 4);
    const http: { a?: LoadResult; b?: LoadResult } = {};
    const sqlite = await runSqlite(ctx, async () => {
      ctx.log(`baseline A: bare Fastify route answering a constant (${ctx.seconds} s)...`);
      const a = await httpBaseline('constant', { rows, seconds: ctx.seconds, connections: CONNECTIONS });
      ctx.log(`  ${fmt(a.rps)} req/s, p99 ${a.p99} ms`);
      ctx.log(`baseline B: the same route with one indexed SQLite lookup (${ctx.seconds} s)...`);
      const b = await httpBaseline('sqlite', { rows, seconds: ctx.seconds, connections: CONNECTIONS });
      ctx.log(`  ${fmt(b.rps)} req/s, p99 ${b.p99} ms`);
      Object.assign(http, { a, b });
    });
    if (!http.a || !http.b) throw new Error('the HTTP baselines did not run');
    const postgres = await runPostgres(ctx);
    const m: Measurements = { baselineA: http.a, baselineB: http.b, rawSqlite, sqlite, postgres };
    const figures = buildFigures(ctx, m);
    if (Number(machine.load.split(' / ')[0]) > 0.5) {
      figures.notes.push(
        `The machine was not idle (load average ${machine.load} at the start, ${loadAverage()} at the end): other processes shared its cores, which lowers every absolute figure; ratios against baselines measured minutes apart suffer most.`,
      );
    }
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`\n${textTable(figures.rows)}\n\n`);
    for (const n of figures.notes) process.stdout.write(`- ${n}\n`);
    writeReport(
      RESULTS,
      markdownReport({
        machine,
        settings: `BENCH_RECORDS=${ctx.records}, BENCH_PG_RECORDS=${ctx.pgRecords}, BENCH_DURATION=${ctx.seconds}, ${CONNECTIONS} connections`,
        figures: figures.rows,
        notes: figures.notes,
        loadAtEnd: loadAverage(),
        seconds,
      }),
    );
    ctx.log(`wrote ${RESULTS} (${fmt(seconds)} s in all)`);
    return 0;
  } finally {
    await ctx.cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
