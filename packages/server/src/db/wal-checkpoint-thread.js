// The WAL checkpointer's thread: copies committed pages from the write-ahead log into the
// database file on its own SQLite connection, so that writes do not wait for it.
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

const db = new SQLite(workerData.file);
let timer;
const tick = () => {
  try {
    // PASSIVE: copies what no reader still needs; never waits for a lock or blocks a writer
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // the file is going away: the owner stops this thread
  }
  timer = setTimeout(tick, workerData.intervalMs);
};
timer = setTimeout(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
