import { Worker } from 'node:worker_threads';

const ENTRY = new URL('./wal-checkpoint-thread.js', import.meta.url);

export interface WalCheckpointer {
  stop(): Promise<void>;
}

/**
 * Checkpoints the WAL of `file` from a worker thread every `intervalMs`: the copying of pages
 * into the database file and its sync then happen beside the writes, not inside a commit.
 *
 * Under a steady stream of commits such a checkpoint never catches the last one, and SQLite
 * starts the log over only after a complete checkpoint: the writing connection keeps its own
 * automatic checkpoint, at a higher mark, for that. By the time it fires, the thread has already
 * copied nearly everything, so it is short, and the next write starts the log over.
 */
export function startWalCheckpointer(
  file: string,
  onFail: () => void,
  intervalMs = 100,
): WalCheckpointer | null {
  let worker: Worker;
  try {
    worker = new Worker(ENTRY, { workerData: { file, intervalMs } });
  } catch {
    return null;
  }
  worker.unref();
  worker.on('error', (err) => {
    process.stderr.write(`assent: WAL checkpoint thread failed (${err.message}); checkpointing on writes\n`);
    onFail();
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      worker.postMessage('stop');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
      await worker.terminate();
    },
  };
}
