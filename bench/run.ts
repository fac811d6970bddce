// `npm run bench`: every figure beside the baseline it is compared with, then bench/RESULTS.md.
// BENCH_RECORDS (default 1000000) and BENCH_DURATION (seconds per load phase, default 10) scale it;
// BENCH_BANNER_RUNS (default 15) is the page loads per banner variant.
// BENCH_ONLY=banner runs only the banner phase (about 100 fresh-context page loads: 1-4 minutes)
// and prints its table; RESULTS.md is written by full runs only.
import { fileURLToPath } from 'node:url';
import { buildBannerFigures } from './banner-figures.ts';
import { runBannerBench } from './banner-phase.ts';
import { httpBaseline, rawSqliteTransactions, startBaseline } from './baselines.ts';
import { createContext } from './context.ts';
import { buildFigures, type Measurements } from './figures.ts';
import type { LoadResult } from './load.ts';
import { runPostgres } from './postgres-phase.ts';
import {
  describeMachine,
  type Figure,
  fmt,
  loadAverage,
  markdownReport,
  textTable,
  writeReport,
} from './report.ts';
import { CONNECTIONS } from './scenarios.ts';
import { stopAllChildren } from './server-process.ts';
import { runSqlite } from './sqlite-phase.ts';

const RESULTS = fileURLToPath(new URL('RESULTS.md', import.meta.url));

function printTable(rows: Figure[], notes: string[]) {
  process.stdout.write(`\n${textTable(rows)}\n\n`);
  for (const n of notes) process.stdout.write(`- ${n}\n`);
}

function busyNote(loadAtStart: string): string[] {
  if (Number(loadAtStart.split(' / ')[0]) <= 0.5) return [];
  return [
    `The machine was not idle (load average ${loadAtStart} at the start, ${loadAverage()} at the end): other processes shared its cores, which lowers every absolute figure and shakes ratios against baselines measured minutes apart (baseline A and the check alternate in rounds for that reason).`,
  ];
}

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
  if (ctx.only === 'banner') {
    ctx.log(
      `BENCH_ONLY=banner: the banner phase alone, RESULTS.md left as it is; load average ${machine.load}`,
    );
    try {
      const banner = buildBannerFigures(await runBannerBench(ctx));
      printTable(banner.rows, [...banner.notes, ...busyNote(machine.load)]);
      return 0;
    } finally {
      await ctx.cleanup();
    }
  }
  ctx.log(
    `records ${fmt(ctx.records)} (PostgreSQL ${fmt(ctx.pgRecords)}), ${ctx.seconds} s per load phase, ${CONNECTIONS} connections; load average ${machine.load}`,
  );
  try {
    // first: it is quick
    const banner = buildBannerFigures(await runBannerBench(ctx));

    ctx.log('raw SQLite single-row transactions...');
    const rawSqlite = rawSqliteTransactions(Math.min(ctx.seconds, 5));
    ctx.log(`  ${fmt(rawSqlite)} transactions/s`);

    const rows = Math.ceil(ctx.records / 4);
    const http: { b?: LoadResult; bWorkers?: LoadResult } = {};
    const sqlite = await runSqlite(ctx, {
      beforeCheck: async () => {
        ctx.log(`baseline B: a bare Fastify route doing one indexed SQLite lookup (${ctx.seconds} s)...`);
        http.b = await httpBaseline('sqlite', { rows, seconds: ctx.seconds, connections: CONNECTIONS });
        ctx.log(`  ${fmt(http.b.rps)} req/s, p99 ${http.b.p99} ms`);
        if (ctx.workers > 1) {
          ctx.log(`baseline B in ${ctx.workers} processes, as the check runs (${ctx.seconds} s)...`);
          http.bWorkers = await httpBaseline('sqlite', {
            rows,
            seconds: ctx.seconds,
            connections: CONNECTIONS,
            workers: ctx.workers,
          });
          ctx.log(`  ${fmt(http.bWorkers.rps)} req/s, p99 ${http.bWorkers.p99} ms`);
        }
      },
      startBaselineA: () => startBaseline('constant', { rows, connections: CONNECTIONS }),
    });
    if (!http.b) throw new Error('the HTTP baselines did not run');
    const postgres = await runPostgres(ctx);
    const m: Measurements = {
      baselineA: sqlite.baselineA,
      baselineB: http.b,
      baselineBWorkers: http.bWorkers ?? null,
      rawSqlite,
      sqlite,
      postgres,
    };
    const figures = buildFigures(ctx, m);
    figures.notes.push(...busyNote(machine.load));
    const table = [...banner.rows, ...figures.rows];
    const notes = [...figures.notes, ...banner.notes];
    const seconds = (performance.now() - started) / 1000;
    printTable(table, notes);
    writeReport(
      RESULTS,
      markdownReport({
        machine,
        settings: `BENCH_RECORDS=${ctx.records}, BENCH_PG_RECORDS=${ctx.pgRecords}, BENCH_DURATION=${ctx.seconds}, BENCH_BANNER_RUNS=${ctx.bannerRuns}, ${CONNECTIONS} connections`,
        figures: table,
        notes,
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
