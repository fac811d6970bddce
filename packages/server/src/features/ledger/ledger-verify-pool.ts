import { Worker } from 'node:worker_threads';
import type { ChainsReport, SubjectRange } from './ledger-chain-check.ts';
import type { ThreadReply, ThreadSetup } from './ledger-verify-worker.ts';

const ENTRY = new URL('./ledger-verify-thread.js', import.meta.url);

type RunRange = (range: SubjectRange) => Promise<ChainsReport>;

interface Thread {
  /** Resolves false if the thread cannot load (no TypeScript loader, file not readable). */
  ready: Promise<boolean>;
  run: RunRange;
  stop(): Promise<unknown>;
}

function startThread(setup: ThreadSetup, onRecords: (n: number) => void): Thread {
  let worker: Worker;
  try {
    worker = new Worker(ENTRY, { workerData: setup });
  } catch {
    return {
      ready: Promise.resolve(false),
      run: () => Promise.reject(new Error('no thread')),
      stop: async () => {},
    };
  }
  let loaded: (ok: boolean) => void = () => {};
  const ready = new Promise<boolean>((resolve) => {
    loaded = resolve;
  });
  let dead: Error | null = null;
  let job: { resolve(r: ChainsReport): void; reject(e: Error): void } | null = null;
  const settle = () => {
    const j = job;
    job = null;
    return j;
  };
  const die = (err: Error) => {
    dead ??= err;
    loaded(false);
    settle()?.reject(err);
  };
  worker.on('message', (m: ThreadReply) => {
    if (m.kind === 'ready') loaded(true);
    else if (m.kind === 'progress') onRecords(m.records);
    else if (m.kind === 'done') settle()?.resolve(m.report);
    else
      settle()?.reject(
        Object.assign(new Error(`ledger verification failed: ${m.message}`), { code: m.code }),
      );
  });
  worker.on('error', die);
  worker.on('exit', (code) => die(new Error(`ledger verification thread exited (${code})`)));
  return {
    ready,
    run: (range) =>
      new Promise((resolve, reject) => {
        if (dead) return reject(dead);
        job = { resolve, reject };
        worker.postMessage(range);
      }),
    stop: () => worker.terminate(),
  };
}

/**
 * Verifies ranges of subjects on this thread and on worker threads at once, each thread reading
 * the SQLite file through its own read-only connection: chains never span ranges, so nothing is
 * shared. A thread takes ~0.5 s to load (it compiles its TypeScript), so this thread starts at
 * once and threads join as they load; if they cannot load, this thread verifies alone. Without
 * `local`, only threads verify (tests use that). Reports come back in range order.
 */
export async function verifyInParallel(opts: {
  ranges: AsyncIterator<SubjectRange>;
  local?: RunRange;
  threads: number;
  setup: ThreadSetup;
  onRecords: (n: number) => void;
}): Promise<ChainsReport[]> {
  const reports: ChainsReport[] = [];
  let taken = 0;
  let exhausted = false;
  let failure: unknown = null;
  // the index is taken before awaiting: an async generator answers next() calls in call order
  const next = async () => {
    if (exhausted || failure) return null;
    const index = taken++;
    const r = await opts.ranges.next();
    if (r.done) exhausted = true;
    return r.done ? null : { index, range: r.value };
  };
  // never rejects: the first failure stops every runner and is thrown once they have stopped
  const drain = async (run: RunRange) => {
    try {
      for (let job = await next(); job; job = await next()) reports[job.index] = await run(job.range);
    } catch (err) {
      failure ??= err;
    }
  };

  const threads = Array.from({ length: opts.threads }, () => startThread(opts.setup, opts.onRecords));
  const running: Promise<void>[] = [];
  const joined = threads.map(async (t) => {
    if (await t.ready) running.push(drain(t.run));
  });
  try {
    if (opts.local) await drain(opts.local);
    else await Promise.all(joined);
    // every range is taken; wait for those still being verified (a thread still loading takes none)
    for (let seen = 0; seen < running.length; seen = running.length) await Promise.all(running);
    if (failure) throw failure;
    if (!exhausted) throw new Error('no ledger verification thread could start');
    return reports;
  } finally {
    await Promise.all(threads.map((t) => t.stop()));
  }
}
