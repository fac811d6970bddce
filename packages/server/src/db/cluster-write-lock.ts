import type { Worker } from 'node:cluster';

/** A lock around SQLite write transactions, shared by the processes that write one file. */
export interface WriteLock {
  acquire(): Promise<void>;
  release(): void;
}

type LockMessage = { assent?: string };

/**
 * The worker side of the cluster's write lock: asks the primary, waits for its grant. Workers
 * of one SQLite file take turns this way instead of meeting in SQLite's busy handler, which
 * sleeps (1, 2, 5, 10 ms...) and retries: with two busy writers that costs most of the time.
 */
export function workerWriteLock(): WriteLock {
  const send = process.send?.bind(process);
  if (!send) throw new Error('workerWriteLock() runs in a cluster worker only');
  const waiting: (() => void)[] = [];
  process.on('message', (m: LockMessage) => {
    if (m?.assent === 'write-lock-granted') waiting.shift()?.();
  });
  return {
    acquire: () =>
      new Promise<void>((resolve) => {
        waiting.push(resolve);
        send({ assent: 'write-lock' });
      }),
    release: () => {
      send({ assent: 'write-unlock' });
    },
  };
}

/** The primary side: grants the lock to one worker at a time, first come first served. */
export function serveWriteLock() {
  let holder: Worker | null = null;
  const queue: Worker[] = [];
  const grant = () => {
    while (!holder && queue.length) {
      const next = queue.shift() as Worker;
      if (next.isDead()) continue;
      holder = next;
      next.send({ assent: 'write-lock-granted' });
    }
  };
  return {
    /** Wire a new worker in: its lock requests and releases, and its death (which frees the lock). */
    attach(worker: Worker) {
      worker.on('message', (m: LockMessage) => {
        if (m?.assent === 'write-lock') {
          queue.push(worker);
          grant();
        } else if (m?.assent === 'write-unlock' && holder === worker) {
          holder = null;
          grant();
        }
      });
      worker.on('exit', () => {
        for (let i = queue.length - 1; i >= 0; i--) if (queue[i] === worker) queue.splice(i, 1);
        if (holder === worker) {
          holder = null;
          grant();
        }
      });
    },
  };
}
